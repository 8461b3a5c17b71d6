// Owns conntrack garbage collection: userspace removes entries whose lifetime has passed (the LRU
// map would evict them only under pressure).

import { type CtKey, type CtValue, decodeCtKey, decodeCtValue } from "./codecs/conntrack.ts";
import type { Collection } from "./collection.ts";
import { MAPS } from "./datapath.ts";
import { native } from "./native.ts";

export interface GcResult {
  scanned: number;
  deleted: number;
}

export async function readConntrack(c: Collection): Promise<{ key: CtKey; value: CtValue }[]> {
  const entries = await c.map(MAPS.conntrack).dump();
  return entries.map((e) => ({ key: decodeCtKey(e.key), value: decodeCtValue(e.value) }));
}

/** Deletes expired entries. `nowNs` is CLOCK_MONOTONIC_COARSE (the clock of bpf_ktime_get_coarse_ns). */
export async function gcConntrack(
  c: Collection,
  { nowNs = native().monotonicNs() }: { nowNs?: bigint } = {},
): Promise<GcResult> {
  const map = c.map(MAPS.conntrack);
  const entries = await map.dump();
  const expired = entries.filter((e) => decodeCtValue(e.value).expiresNs <= nowNs).map((e) => e.key);
  const r = await map.deleteBatch(expired);
  return { scanned: entries.length, deleted: r.count - (r.missing ?? 0) };
}
