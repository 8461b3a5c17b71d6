// Owns kernel test resources with per-run names (lib/netns/names.ts): bpffs pin directories and
// veth pairs, always removed by the returned cleanup (veths are left down and without addresses:
// no traffic).
import { readdirSync, readFileSync, rmSync } from "node:fs";
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

/** An interface index below `limit` that no interface of this namespace uses (from a per-process
 * start, so that concurrent test processes rarely race for one). */
export function freeIfindexBelow(limit: number): number {
  const used = new Set(
    readdirSync("/sys/class/net").map((n) => Number(readFileSync(`/sys/class/net/${n}/ifindex`, "utf8"))),
  );
  const start = 1000 + (process.pid % Math.max(1, limit - 2000));
  for (let i = 0; i < limit - 1000; i++) {
    const index = 1000 + ((start - 1000 + i) % (limit - 1000));
    if (!used.has(index) && !used.has(index + 1)) return index;
  }
  throw new Error(`no free interface index below ${limit}`);
}

/**
 * A veth pair (host end `name`, peer `name`p), down and unaddressed. `index` pins the host end's
 * interface index (the kernel's next index grows with every interface a long-lived host creates,
 * so a test that needs a small one asks for it: freeIfindexBelow).
 */
export function tempVeth({ index }: { index?: number } = {}): {
  name: string;
  ifindex: number;
  remove: () => void;
} {
  const name = `${runPrefix("k")}v`;
  ip([
    "link",
    "add",
    name,
    ...(index === undefined ? [] : ["index", String(index)]),
    "type",
    "veth",
    "peer",
    "name",
    `${name}p`,
  ]);
  return {
    name,
    ifindex: native().ifIndex(name),
    remove: () => {
      ipQuiet(["link", "del", name]);
    },
  };
}
