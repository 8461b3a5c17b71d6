// Owns the names test and demo resources carry: a short prefix unique to this process and call,
// so concurrent runs never share a namespace, link, bridge or pin directory, and every leftover
// can be traced to its run. Linux interface names hold at most 15 characters (IFNAMSIZ - 1).
import { randomInt } from "node:crypto";

export const IFNAME_MAX = 15;

let calls = 0;

const base36 = (n: number, width: number) => n.toString(36).padStart(width, "0").slice(-width);

/**
 * `p<tag><pid><random><call>`, e.g. `pe1k4x91`: the pid keeps processes apart, the random part
 * keeps a reused pid apart, the call counter keeps two prefixes of one process apart.
 */
export function runPrefix(tag = "t"): string {
  calls += 1;
  return `p${tag}${base36(process.pid % 36 ** 2, 2)}${base36(randomInt(36 ** 3), 3)}${calls.toString(36)}`;
}

/** `<fixed>` and `length` random base-36 characters (the demo's `pdm<random>`). */
export function randomPrefix(fixed: string, length: number): string {
  return `${fixed}${base36(randomInt(36 ** length), length)}`;
}

/** `name` when it fits an interface name; otherwise throws naming the rule and the value. */
export function ifname(name: string): string {
  if (name.length > IFNAME_MAX || !/^[A-Za-z0-9_.-]+$/.test(name))
    throw new Error(
      `an interface name holds 1 to ${IFNAME_MAX} letters, digits, '_', '.' or '-'; got ${JSON.stringify(name)}`,
    );
  return name;
}
