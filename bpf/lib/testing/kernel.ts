// Owns kernel test resources with per-run names: bpffs pin directories and veth pairs, always
// removed by the returned cleanup (veths are left down and without addresses: no traffic).
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { ensureBpffsMounted } from "../bpffs.ts";
import { native } from "../native.ts";

let counter = 0;

/** A short unique prefix for interface names (IFNAMSIZ is 16). */
export function runPrefix(): string {
  counter += 1;
  return `p${(process.pid % 46656).toString(36)}${Math.floor(Math.random() * 1296).toString(36)}${counter}`;
}

export function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** A fresh directory on bpffs for pins; remove() deletes it and every pin in it. */
export function tempPinDir(): { dir: string; remove: () => void } {
  ensureBpffsMounted();
  const dir = join("/sys/fs/bpf", `palisade-test-${runPrefix()}`);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A veth pair (host end `name`, peer `name`p), down and unaddressed. */
export function tempVeth(): { name: string; ifindex: number; remove: () => void } {
  const name = `${runPrefix()}v`;
  sh("ip", ["link", "add", name, "type", "veth", "peer", "name", `${name}p`]);
  return {
    name,
    ifindex: native().ifIndex(name),
    remove: () => {
      spawnSync("ip", ["link", "del", name]);
    },
  };
}
