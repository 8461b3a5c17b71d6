// Owns kernel test resources with per-run names (lib/netns/names.ts): bpffs pin directories and
// veth pairs, always removed by the returned cleanup (veths are left down and without addresses:
// no traffic).
import { rmSync } from "node:fs";
import { join } from "node:path";
import { ip, ipQuiet } from "../../../lib/netns/ip.ts";
import { runPrefix } from "../../../lib/netns/names.ts";
import { ensureBpffsMounted } from "../bpffs.ts";
import { native } from "../native.ts";

/** A fresh directory on bpffs for pins; remove() deletes it and every pin in it. */
export function tempPinDir(): { dir: string; remove: () => void } {
  ensureBpffsMounted();
  const dir = join("/sys/fs/bpf", `palisade-test-${runPrefix("k")}`);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A veth pair (host end `name`, peer `name`p), down and unaddressed. */
export function tempVeth(): { name: string; ifindex: number; remove: () => void } {
  const name = `${runPrefix("k")}v`;
  ip(["link", "add", name, "type", "veth", "peer", "name", `${name}p`]);
  return {
    name,
    ifindex: native().ifIndex(name),
    remove: () => {
      ipQuiet(["link", "del", name]);
    },
  };
}
