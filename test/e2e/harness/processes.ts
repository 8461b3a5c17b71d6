// Owns running `palisade server` and `palisade agent` as real processes through bin/palisade.mjs:
// JSON log capture, waiting for a log line, and stopping with a signal (SIGKILL left over at teardown).
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { onCleanup } from "./cleanup.ts";

export const BIN = join(import.meta.dirname, "..", "..", "..", "bin", "palisade.mjs");

export type LogLine = Record<string, unknown>;

export interface PalisadeProcess {
  child: ChildProcess;
  lines: LogLine[];
  stderr(): string;
  waitFor(pred: (l: LogLine) => boolean, ms?: number): Promise<LogLine>;
  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startPalisade(args: string[], env: Record<string, string> = {}): PalisadeProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const release = onCleanup(`palisade ${args[0]}`, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  child.once("exit", () => release());
  const lines: LogLine[] = [];
  let stderr = "";
  let buffer = "";
  child.stdout!.on("data", (d: Buffer) => {
    buffer += d.toString();
    for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
      try {
        lines.push(JSON.parse(buffer.slice(0, i)));
      } catch {}
      buffer = buffer.slice(i + 1);
    }
  });
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    lines,
    stderr: () => stderr,
    async waitFor(pred, ms = 20_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const hit = lines.find(pred);
        if (hit) return hit;
        if (child.exitCode !== null)
          throw new Error(`palisade ${args[0]} exited ${child.exitCode}: ${stderr}`);
        if (Date.now() > deadline)
          throw new Error(
            `timed out waiting for a log line; stderr: ${stderr}; last: ${JSON.stringify(lines.slice(-5))}`,
          );
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
      child.kill(signal);
      return exited;
    },
  };
}
