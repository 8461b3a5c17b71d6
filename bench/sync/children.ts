// Owns the benchmark's child processes: forking them with tsx, asking over IPC and waiting for a
// typed answer, and making sure none outlives the run (killed on exit, failure or a signal).
import { type ChildProcess, fork } from "node:child_process";

const children = new Set<ChildProcess>();
let profileDir: string | undefined;

/** Makes every child forked from now on write a V8 CPU profile into `dir` when it exits. */
export function profileChildrenInto(dir: string): void {
  profileDir = dir;
}

function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
}

process.once("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the children`);
    killAll();
    process.exit(130);
  });
}

/** Forks `file` under tsx with IPC; its stdout and stderr go to ours. */
export function forkChild(file: string, execArgv: string[] = []): ChildProcess {
  const child = fork(file, [], {
    execArgv: [
      ...execArgv,
      ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
      "--import",
      "tsx",
    ],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Sends `msg` (unless undefined) and resolves with the next answer of `type`; rejects on an error answer, exit or timeout. */
export function ask<A extends { type: string }, T extends A["type"]>(
  child: ChildProcess,
  msg: unknown,
  type: T,
  timeoutMs: number,
): Promise<Extract<A, { type: T }>> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    const onMessage = (answer: A & { message?: string }) => {
      if (answer.type === "error") {
        done();
        reject(new Error(`child ${child.pid}: ${answer.message}`));
      } else if (answer.type === type) {
        done();
        resolve(answer as Extract<A, { type: T }>);
      }
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`child ${child.pid} exited (code ${code}) while we waited for "${type}"`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`child ${child.pid} gave no "${type}" within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("message", onMessage);
    child.once("exit", onExit);
    if (msg !== undefined) child.send(msg as object);
  });
}

/** Asks a child to stop and waits for it to exit (SIGKILL after `graceMs`). */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    if (child.connected) child.send({ type: "stop" });
    else child.kill("SIGTERM");
  });
}
