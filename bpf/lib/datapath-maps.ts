// Owns applying and reading back the control plane's entries (wire/entries.ts shapes) in the
// kernel maps, with batch operations. Read-back makes level-triggered reconciliation possible.
import type { IpcacheEntry, PolicyEntry } from "../../wire/entries.ts";
import {
  decodeEndpoint,
  decodeEndpointKey,
  ENDPOINT_KEY_SIZE,
  ENDPOINT_LAYOUT,
  type EndpointValue,
  encodeEndpoint,
  encodeEndpointKey,
} from "./codecs/endpoints.ts";
import {
  decodeIpcacheKey,
  decodeIpcacheValue,
  IPCACHE_KEY_LAYOUT,
  IPCACHE_VALUE_LAYOUT,
  writeIpcacheKey,
  writeIpcacheValue,
} from "./codecs/ipcache.ts";
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

/** Endpoints are keyed by ifindex: the agent resolves EndpointEntry.interface first. */
export function applyEndpoints(c: Collection, { upsert = [], remove = [] }: Delta<EndpointBinding, number>) {
  return applyToMap(c, MAPS.endpoints, endpointPacker, upsert, remove);
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
  const entries = await c.map(MAPS.endpoints).dump();
  return entries.map(({ key, value }) => ({ ifindex: decodeEndpointKey(key), entry: decodeEndpoint(value) }));
}
