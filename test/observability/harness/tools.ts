// Owns finding and running the Prometheus binaries (Debian's prometheus package, installed by
// scripts/install-system-deps.sh): why a suite cannot run here, and running promtool.
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { join } from "node:path";

/** The executable `name` on PATH, or undefined. */
export function findBinary(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":").filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {}
  }
  return undefined;
}

/** Why the suite cannot run here (stated, never silent): the binary is not installed. */
export function binarySkipReason(name: "promtool" | "prometheus"): string | undefined {
  return findBinary(name)
    ? undefined
    : `${name} is not installed (Debian's prometheus package: sudo bash scripts/install-system-deps.sh)`;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end, feeding `stdin` when given; never throws on a failing exit. */
export function run(cmd: string, args: string[], { stdin, cwd }: { stdin?: string; cwd?: string } = {}) {
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}
