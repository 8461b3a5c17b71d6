// Owns a map from prefixes to values that answers "which members contain this prefix" by looking
// up each prefix length in use (at most 33 or 129), so matching n prefixes against m members costs
// O(n x lengths) instead of O(n x m): ipBlock excepts, block cidrs and longest-prefix matches.
import type { Prefix } from "../../../wire/cidr.ts";
import { JournaledMap } from "./journal.ts";

export class PrefixIndex<V> {
  /** `family/len` -> the first `len` bits as a key -> value. */
  private readonly buckets = new JournaledMap<string, Map<string, V>>();
  /** Prefix lengths in use per family, with how many members each has. */
  private readonly lengths = new JournaledMap<number, Map<number, number>>();

  get size(): number {
    let n = 0;
    for (const bucket of this.buckets.values()) n += bucket.size;
    return n;
  }

  get(p: Prefix): V | undefined {
    return this.buckets.get(lengthKey(p.family, p.prefixLen))?.get(bitsKey(p, p.prefixLen));
  }

  set(p: Prefix, value: V): void {
    const key = lengthKey(p.family, p.prefixLen);
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = new JournaledMap()));
    const bits = bitsKey(p, p.prefixLen);
    if (!bucket.has(bits)) {
      let lens = this.lengths.get(p.family);
      if (!lens) this.lengths.set(p.family, (lens = new JournaledMap()));
      lens.set(p.prefixLen, (lens.get(p.prefixLen) ?? 0) + 1);
    }
    bucket.set(bits, value);
  }

  delete(p: Prefix): boolean {
    const key = lengthKey(p.family, p.prefixLen);
    const bucket = this.buckets.get(key);
    if (!bucket?.delete(bitsKey(p, p.prefixLen))) return false;
    if (bucket.size === 0) this.buckets.delete(key);
    const lens = this.lengths.get(p.family)!;
    const n = lens.get(p.prefixLen)! - 1;
    if (n > 0) lens.set(p.prefixLen, n);
    else lens.delete(p.prefixLen);
    return true;
  }

  /** Values of the members that contain `p` (itself included), longest member first. */
  containing(p: Prefix, { strict = false } = {}): V[] {
    const lens = this.lengths.get(p.family);
    if (!lens) return [];
    const out: V[] = [];
    const sorted = [...lens.keys()].sort((a, b) => b - a);
    for (const len of sorted) {
      if (len > p.prefixLen || (strict && len === p.prefixLen)) continue;
      const value = this.buckets.get(lengthKey(p.family, len))?.get(bitsKey(p, len));
      if (value !== undefined) out.push(value);
    }
    return out;
  }

  /** True when a member contains `p` (itself included). */
  containsAny(p: Prefix): boolean {
    const lens = this.lengths.get(p.family);
    if (!lens) return false;
    for (const len of lens.keys()) {
      if (len > p.prefixLen) continue;
      if (this.buckets.get(lengthKey(p.family, len))?.has(bitsKey(p, len))) return true;
    }
    return false;
  }
}

function lengthKey(family: number, len: number): string {
  return `${family}/${len}`;
}

/** The first `len` bits of an address as a string key. */
function bitsKey(p: Prefix, len: number): string {
  let out = "";
  for (let i = 0; i < p.bytes.length && i * 8 < len; i++) {
    const bits = Math.min(8, len - i * 8);
    out += `${p.bytes[i]! & ((0xff << (8 - bits)) & 0xff)}.`;
  }
  return out;
}
