// Owns teardown that always runs: a stack of synchronous cleanups run by the suite's `after`, and
// also on SIGINT/SIGTERM and on process exit, so an interrupted run leaves no netns, link or pin.

const stack: { label: string; run: () => void }[] = [];
let hooked = false;

function runAll(): void {
  for (const c of stack.splice(0).reverse()) {
    try {
      c.run();
    } catch (e) {
      process.stderr.write(`e2e cleanup "${c.label}" failed: ${String(e)}\n`);
    }
  }
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", runAll);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      runAll();
      process.exit(130);
    });
  }
}

/** Registers `run` (synchronous) and returns a function that runs it now, once. */
export function onCleanup(label: string, run: () => void): () => void {
  hook();
  const entry = { label, run };
  stack.push(entry);
  return () => {
    const i = stack.indexOf(entry);
    if (i < 0) return;
    stack.splice(i, 1);
    run();
  };
}

/** Runs every registered cleanup now (latest first). */
export function cleanupAll(): void {
  runAll();
}
