// Owns running a host command that must succeed (harness setup): stdout, or an error with stderr.
import { spawnSync } from "node:child_process";

export function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} failed: ${(r.stderr ?? String(r.error)).trim()}`);
  return r.stdout;
}
