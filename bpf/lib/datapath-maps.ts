// Owns applying and reading back the control plane's entries (wire/entries.ts shapes) in the
// kernel maps, with batch operations. Read-back makes level-triggered reconciliation possible.
import type { IpcacheEntry, PolicyEntry } from "../../wire/entries.ts";
import { GENERATION_LAYOUT } from "./codecs/conntrack.ts";
import {
  decodeEndpoint,
  decodeEndpointKey,
  ENDPOINT_KEY_SIZE,
  ENDPOINT_LAYOUT,
  type EndpointValue,
  EP_INDEX_MAX,
  encodeEndpoint,
  encodeEndpointKey,
  endpointPresent,
} from "./codecs/endpoints.ts";
import {
  decodeIpcacheKey,
  decodeIpcacheValue,
  IPCACHE_KEY_LAYOUT,
  IPCACHE_VALUE_LAYOUT,
  writeIpcacheKey,
  writeIpcacheValue,
} from "./codecs/ipcache.ts";
import { readU32, writeU32 } from "./codecs/layout.ts";
import {
  decodePolicyKey,
  decodePolicyValue,
  POLICY_KEY_LAYOUT,
  POLICY_VALUE_LAYOUT,
  type PolicyKeyFields,
  policyEntryOf,
  writePolicyKey,
  writePolicyValue,
} from "./codecs/policy.ts";
import type { Collection } from "./collection.ts";
import { MAPS } from "./datapath.ts";

export interface Delta<U, R> {
  upsert?: readonly U[];
  remove?: readonly R[];
}

export interface ApplyResult {
  upserted: number;
  removed: number;
  /** Removals of keys that were already absent. */
  missing: number;
  /** Whether the kernel's batch syscalls were used. */
  batched: boolean;
}

export interface EndpointBinding {
  ifindex: number;
  entry: EndpointValue;
}

/** Writers of one map's keys and values straight into packed batch buffers. */
interface Packer<U, R> {
  keySize: number;
  valueSize: number;
  key(b: Buffer, at: number, e: U): void;
  value(b: Buffer, at: number, e: U): void;
  removeKey(b: Buffer, at: number, r: R): void;
}

async function applyToMap<U, R>(
  c: Collection,
  name: string,
  p: Packer<U, R>,
  upsert: readonly U[],
  remove: readonly R[],
): Promise<ApplyResult> {
  try {
    return await writeToMap(c, name, p, upsert, remove);
  } finally {
    // After the writes (even partial ones: a full map stops a batch midway), so that a packet
    // which sees the new generation also sees the new entries.
    if (upsert.length > 0 || remove.length > 0) bumpPolicyGeneration(c);
  }
}

/**
 * Adds one to the policy generation: every tracked flow is judged again by policy on its next
 * packet (bpf/include/conntrack.h), so a change revokes what it no longer allows. Called by every
 * write to the endpoint, ipcache and policy maps; single writer (the agent), so read-modify-write.
 */
export function bumpPolicyGeneration(c: Collection): number {
  const next = (readPolicyGeneration(c) + 1) >>> 0;
  const value = Buffer.alloc(GENERATION_LAYOUT.size);
  writeU32(value, 0, next);
  c.map(MAPS.generation).update(Buffer.alloc(4), value);
  return next;
}

export function readPolicyGeneration(c: Collection): number {
  const v = c.map(MAPS.generation).lookup(Buffer.alloc(4));
  return v ? readU32(v, 0) : 0;
}

async function writeToMap<U, R>(
  c: Collection,
  name: string,
  p: Packer<U, R>,
  upsert: readonly U[],
  remove: readonly R[],
): Promise<ApplyResult> {
  const map = c.map(name);
  const keys = Buffer.alloc(upsert.length * p.keySize);
  const values = Buffer.alloc(upsert.length * p.valueSize);
  upsert.forEach((e, i) => {
    p.key(keys, i * p.keySize, e);
    p.value(values, i * p.valueSize, e);
  });
  const u = await map.updateBatchPacked(keys, values, upsert.length);
  const gone = Buffer.alloc(remove.length * p.keySize);
  remove.forEach((r, i) => {
    p.removeKey(gone, i * p.keySize, r);
  });
  const d = await map.deleteBatchPacked(gone, remove.length);
  const missing = d.missing ?? 0;
  return { upserted: u.count, removed: d.count - missing, missing, batched: u.batched || d.batched };
}

const ipcachePacker: Packer<IpcacheEntry, string> = {
  keySize: IPCACHE_KEY_LAYOUT.size,
  valueSize: IPCACHE_VALUE_LAYOUT.size,
  key: (b, at, e) => writeIpcacheKey(b, at, e.prefix),
  value: writeIpcacheValue,
  removeKey: writeIpcacheKey,
};

const policyPacker: Packer<PolicyEntry, PolicyKeyFields> = {
  keySize: POLICY_KEY_LAYOUT.size,
  valueSize: POLICY_VALUE_LAYOUT.size,
  key: writePolicyKey,
  value: (b, at, e) => writePolicyValue(b, at, e),
  removeKey: writePolicyKey,
};

const endpointPacker: Packer<EndpointBinding, number> = {
  keySize: ENDPOINT_KEY_SIZE,
  valueSize: ENDPOINT_LAYOUT.size,
  key: (b, at, e) => encodeEndpointKey(e.ifindex).copy(b, at),
  value: (b, at, e) => encodeEndpoint(e.entry).copy(b, at),
  removeKey: (b, at, i) => encodeEndpointKey(i).copy(b, at),
};

/** Upserts then removes ipcache prefixes. ERR_BPF_MAP_FULL carries `done` (entries applied). */
export function applyIpcache(c: Collection, { upsert = [], remove = [] }: Delta<IpcacheEntry, string>) {
  return applyToMap(c, MAPS.ipcache, ipcachePacker, upsert, remove);
}

export function applyPolicies(
  c: Collection,
  { upsert = [], remove = [] }: Delta<PolicyEntry, PolicyKeyFields>,
) {
  return applyToMap(c, MAPS.policy, policyPacker, upsert, remove);
}

/** An emptied array slot: an entry without EP_PRESENT. */
const emptySlotPacker: Packer<number, number> = {
  keySize: ENDPOINT_KEY_SIZE,
  valueSize: ENDPOINT_LAYOUT.size,
  key: (b, at, i) => encodeEndpointKey(i).copy(b, at),
  value: () => {},
  removeKey: (b, at, i) => encodeEndpointKey(i).copy(b, at),
};

/**
 * Endpoints are keyed by ifindex: the agent resolves EndpointEntry.interface first. An index below
 * EP_INDEX_MAX lives in the array map (removing it empties its slot), the others in the hash.
 */
export async function applyEndpoints(
  c: Collection,
  { upsert = [], remove = [] }: Delta<EndpointBinding, number>,
): Promise<ApplyResult> {
  const low = (i: number) => i < EP_INDEX_MAX;
  const inArray = await applyToMap(
    c,
    MAPS.endpointsByIndex,
    endpointPacker,
    upsert.filter((b) => low(b.ifindex)),
    [],
  );
  const emptied = await applyToMap(c, MAPS.endpointsByIndex, emptySlotPacker, remove.filter(low), []);
  const inHash = await applyToMap(
    c,
    MAPS.endpoints,
    endpointPacker,
    upsert.filter((b) => !low(b.ifindex)),
    remove.filter((i) => !low(i)),
  );
  // Copies a previous layout left in the hash for low indexes (bpf/lib/migrate.ts) go with them.
  const stale = remove.filter(low);
  if (stale.length > 0) await c.map(MAPS.endpoints).deleteBatch(stale.map(encodeEndpointKey));
  return {
    upserted: inArray.upserted + inHash.upserted,
    removed: emptied.upserted + inHash.removed,
    missing: inHash.missing,
    batched: inArray.batched || emptied.batched || inHash.batched,
  };
}

export async function readIpcache(c: Collection): Promise<IpcacheEntry[]> {
  const entries = await c.map(MAPS.ipcache).dump();
  return entries.map(({ key, value }) => ({ prefix: decodeIpcacheKey(key), ...decodeIpcacheValue(value) }));
}

export async function readPolicies(c: Collection): Promise<PolicyEntry[]> {
  const entries = await c.map(MAPS.policy).dump();
  return entries.map(({ key, value }) => {
    return policyEntryOf(decodePolicyKey(key), decodePolicyValue(value));
  });
}

export async function readEndpoints(c: Collection): Promise<EndpointBinding[]> {
  const slots = (await c.map(MAPS.endpointsByIndex).dump()).filter((e) => endpointPresent(e.value));
  // A low index in the hash is a copy a previous layout left (never read by the programs).
  const hashed = (await c.map(MAPS.endpoints).dump()).filter((e) => decodeEndpointKey(e.key) >= EP_INDEX_MAX);
  const entries = [...slots, ...hashed];
  return entries.map(({ key, value }) => ({ ifindex: decodeEndpointKey(key), entry: decodeEndpoint(value) }));
}
