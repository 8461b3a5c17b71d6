// Owns the node processes a topology runs (pod servers and probers): started inside a pod's
// network namespace (or the host's), ready once they print a line containing "ready", and all
// killed by the topology's teardown.
import { type ChildProcess, spawn } from "node:child_process";

/**
 * Runs `node script ...args` in network namespace `netns`: a name under /run/netns, a path (a
 * runtime's pod namespace, entered with nsenter), or undefined for this host's namespace.
 */
export function startNode(netns: string | undefined, script: string, args: string[] = []): ChildProcess {
  const argv = [process.execPath, script, ...args];
  const enter =
    netns === undefined
      ? []
      : netns.startsWith("/")
        ? ["nsenter", `--net=${netns}`]
        : ["ip", "netns", "exec", netns];
  const [cmd, ...rest] = [...enter, ...argv];
  return spawn(cmd!, rest, { stdio: ["pipe", "pipe", "inherit"] });
}

/** Resolves when the child prints "ready"; rejects when it exits first or stays silent too long. */
export function waitReady(child: ChildProcess, what: string, timeoutMs = 20_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let out = "";
    const settle = (error?: Error) => {
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve();
    };
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready")) settle();
    };
    const onExit = (code: number | null) =>
      settle(new Error(`${what} exited with ${code} before it was ready`));
    // A child that hangs must fail the setup (which then tears everything down), not stall it.
    const timer = setTimeout(
      () => settle(new Error(`${what} was not ready within ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.stdout!.on("data", onData);
    child.once("exit", onExit);
  });
}

/** The processes of one topology: each started one is killed (SIGKILL) by killAll. */
export class Children {
  readonly #all: ChildProcess[] = [];

  /** Starts `script` in `netns` and waits until it is ready. */
  async start(
    netns: string | undefined,
    script: string,
    args: string[],
    what: string,
  ): Promise<ChildProcess> {
    const child = startNode(netns, script, args);
    this.#all.push(child);
    await waitReady(child, what);
    return child;
  }

  killAll(): void {
    for (const c of this.#all.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  }
}
