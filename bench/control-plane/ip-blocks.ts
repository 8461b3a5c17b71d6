// Owns the ipBlock peers of the benchmark policies: a pool of distinct external CIDRs (some with
// excepts) from 172.16.0.0/12 and 192.168.0.0/16, and the "internet" blocks 0.0.0.0/0 minus RFC 1918.
import type { IPBlock } from "../../api/policy/model.ts";
import type { Rng } from "./prng.ts";

export const INTERNET_BLOCKS: readonly IPBlock[] = [
  { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] },
  { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] },
];

interface Subnet {
  net: number;
  len: number;
}

const PRIVATE_12: Subnet = { net: toInt(172, 16, 0, 0), len: 12 };
const PRIVATE_16: Subnet = { net: toInt(192, 168, 0, 0), len: 16 };

/** `size` distinct canonical blocks; about 40% carry one or two excepts strictly inside them. */
export function externalBlockPool(rng: Rng, size = 16): IPBlock[] {
  const out = new Map<string, IPBlock>();
  while (out.size < size) {
    const from12 = rng.chance(0.5);
    const len = rng.pick(from12 ? [16, 20, 24, 24, 26, 28] : [20, 22, 24, 24, 27]);
    const block = randomSubnet(rng, from12 ? PRIVATE_12 : PRIVATE_16, len);
    const except = new Set<string>();
    if (len <= 26 && rng.chance(0.4)) {
      const n = rng.int(1, 2);
      for (let i = 0; i < n; i++) except.add(format(randomSubnet(rng, block, len + rng.int(2, 4))));
    }
    out.set(format(block), { cidr: format(block), except: [...except].sort() });
  }
  return [...out.values()];
}

/** A random subnet of length `len` inside `parent`. */
function randomSubnet(rng: Rng, parent: Subnet, len: number): Subnet {
  const choices = 2 ** (len - parent.len);
  return { net: (parent.net + Math.floor(rng.next() * choices) * 2 ** (32 - len)) >>> 0, len };
}

function toInt(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function format({ net, len }: Subnet): string {
  return `${[net >>> 24, (net >>> 16) & 255, (net >>> 8) & 255, net & 255].join(".")}/${len}`;
}
