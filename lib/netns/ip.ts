// Owns running iproute2's `ip`: commands that must succeed (setup) throw with ip's stderr;
// removals run best effort (teardown must go on past what is already gone).
import { spawnSync } from "node:child_process";

/** Runs `ip ...args`, returning stdout; throws with the command and its stderr when it fails. */
export function ip(args: string[]): string {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")} failed: ${(r.stderr ?? String(r.error)).trim()}`);
  return r.stdout;
}

/** Runs `ip ...args` and ignores failure: for deleting what may already be gone. */
export function ipQuiet(args: string[]): void {
  spawnSync("ip", args, { stdio: "ignore" });
}
