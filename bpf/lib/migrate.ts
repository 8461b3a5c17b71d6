// Owns carrying state over from maps pinned by an agent of the previous layout, at load:
// - endpoints: the previous program found every endpoint in the hash; this one reads indexes below
//   EP_INDEX_MAX from the array only. Their entries are copied into the array (the hash copies stay
//   until the endpoint is removed: the previous program may still run until attach() takes its
//   links over, and must keep finding them).
// - conntrack: pal_conntrack_v1 (24-byte values, no generation) is copied into pal_conntrack_v2
//   with generation 0 and the generation is bumped, so every carried flow keeps passing and is
//   judged again by the new rules on its next packet. The v1 pin is removed afterwards.
import { existsSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { type CtValue, decodeCtValue, encodeCtValue } from "./codecs/conntrack.ts";
import { decodeEndpointKey, EP_INDEX_MAX, EP_PRESENT } from "./codecs/endpoints.ts";
import { readU32, readU64, writeU32 } from "./codecs/layout.ts";
import type { Collection } from "./collection.ts";
import { MAPS } from "./datapath.ts";
import { bumpPolicyGeneration } from "./datapath-maps.ts";
import { BpfMap } from "./map.ts";

const CONNTRACK_V1 = "pal_conntrack_v1";

export interface MigrationResult {
  endpoints: number;
  flows: number;
}

/** Copies what a previous layout left under `mapDir` into this collection's maps (see above). */
export async function migratePinnedState(c: Collection, mapDir: string): Promise<MigrationResult> {
  const endpoints = await copyLowEndpoints(c);
  const flows = await copyConntrackV1(c, join(mapDir, CONNTRACK_V1));
  if (endpoints + flows > 0) bumpPolicyGeneration(c);
  return { endpoints, flows };
}

async function copyLowEndpoints(c: Collection): Promise<number> {
  const array = c.map(MAPS.endpointsByIndex);
  const low = (await c.map(MAPS.endpoints).dump()).filter((e) => decodeEndpointKey(e.key) < EP_INDEX_MAX);
  const missing = [];
  for (const e of low) {
    const slot = array.lookup(e.key);
    if (slot && (readU32(slot, 20) & EP_PRESENT) !== 0) continue;
    const value = Buffer.from(e.value);
    writeU32(value, 20, readU32(value, 20) | EP_PRESENT);
    missing.push({ key: e.key, value });
  }
  if (missing.length > 0) await array.updateBatch(missing);
  return missing.length;
}

/** The v1 value: v2 without the generation (24 bytes). */
function decodeV1(b: Buffer): CtValue {
  const v = decodeCtValue(Buffer.concat([b.subarray(0, 24), Buffer.alloc(8)]));
  return { ...v, expiresNs: readU64(b, 0), generation: 0 };
}

async function copyConntrackV1(c: Collection, path: string): Promise<number> {
  if (!existsSync(path)) return 0;
  const old = BpfMap.openPinned(path);
  try {
    if (old.valueSize !== 24) return 0; // not the layout this knows: leave it alone
    const entries = (await old.dump()).map((e) => ({ key: e.key, value: encodeCtValue(decodeV1(e.value)) }));
    if (entries.length > 0) await c.map(MAPS.conntrack).updateBatch(entries);
    unlinkSync(path);
    return entries.length;
  } finally {
    old.close();
  }
}
