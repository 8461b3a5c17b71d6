// Owns teardown that always runs: a stack of synchronous cleanups run by the suite's `after`, and
// also on SIGINT/SIGTERM and on process exit, so an interrupted run leaves no netns, link or pin.
import { spawnSync } from "node:child_process";

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

/** Runs a command, throwing with its stderr when it fails. */
export function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${(r.stderr ?? "").trim()}`);
  return r.stdout;
}

/** A short per-run prefix for names (Linux ifnames are at most 15 characters). */
export function runPrefix(tag = "e"): string {
  const rand = Math.floor(Math.random() * 36 ** 3)
    .toString(36)
    .padStart(3, "0");
  return `p${tag}${(process.pid % 1296).toString(36).padStart(2, "0")}${rand}`;
}
