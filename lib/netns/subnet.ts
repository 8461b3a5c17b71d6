// Owns choosing a test subnet: a /24 in 198.18.0.0/15 (RFC 2544 benchmarking addresses, never
// routed on real networks) that no route on this host uses yet. The topology puts it on its own
// bridge only; pods get the connected route and nothing else.
import { ip } from "./ip.ts";

export interface Subnet {
  /** e.g. `198.18.7.0/24`. */
  cidr: string;
  /** `.1`, held by the bridge. */
  gateway: string;
  /** The i-th pod address, from `.11` up. */
  podAddress(i: number): string;
}

/** The /24 with index n (1..510, never .0.0 of either /16) of 198.18.0.0/15. */
function subnetAt(n: number): Subnet {
  const net = `198.${18 + (n >> 8)}.${n & 255}.`;
  return { cidr: `${net}0/24`, gateway: `${net}1`, podAddress: (i) => `${net}${11 + i}` };
}

/**
 * The first candidate whose addresses appear nowhere in `routes` (`ip route show table all`).
 * The first pick follows `seed` (the pid), so suites running side by side start apart.
 */
export function pickSubnet(routes: string, seed: number, random: () => number = Math.random): Subnet {
  for (let i = 0; i < 100; i++) {
    const n = 1 + ((i === 0 ? seed : Math.floor(random() * 1e9)) % 510);
    if ((n & 255) === 0) continue;
    const s = subnetAt(n);
    if (!routes.includes(s.cidr.slice(0, -4))) return s;
  }
  throw new Error("no free /24 in 198.18.0.0/15 for the test bridge");
}

/** Subnets this process handed out: a bridge may come up only later (CNI creates it on first ADD). */
const handedOut = new Set<string>();

/** A /24 of 198.18.0.0/15 unused on this host and not handed out before by this process. */
export function freeSubnet(): Subnet {
  const taken = [ip(["-4", "route", "show", "table", "all"]), ...handedOut].join("\n");
  const s = pickSubnet(taken, process.pid + handedOut.size);
  handedOut.add(s.cidr.slice(0, -4));
  return s;
}
