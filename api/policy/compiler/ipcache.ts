// Owns the ipcache: what each key should hold (an endpoint address, a policy prefix, or nothing),
// and bringing the keys a batch may have changed up to date.
import { hostPrefix, mustParseCidr, prefixContains } from "../../../wire/cidr.ts";
import {
  IDENTITY_WORLD,
  type IpcacheEntry,
  type MapDelta,
  NAMESPACE_MAP_BYTES,
  namespaceMapPrefix,
} from "../../../wire/entries.ts";
import { diffMaps } from "../../../wire/map-delta.ts";
import type { ObjectIndex } from "./objects.ts";
import { PrefixIndex } from "./prefix-index.ts";
import type { PrefixRegistry } from "./prefixes.ts";
import { type Steps, ticker } from "./steps.ts";
import type { EndpointRec } from "./types.ts";
import type { Work } from "./work.ts";

/**
 * The desired entry for `key` (a canonical prefix), given the endpoint that owns it, if any. An
 * endpoint's host prefix carries the endpoint's identity; a policy prefix carries `world`; both
 * carry the identity of the longest policy prefix that contains them, so ipBlock rules also match
 * endpoint addresses.
 */
function computeIpcacheEntry(
  key: string,
  owner: EndpointRec | undefined,
  prefixes: PrefixRegistry,
): IpcacheEntry | undefined {
  const registered = prefixes.idOf(key) !== undefined;
  if (!owner && !registered) return undefined;
  const prefixIdentity = prefixes.longestMatch(mustParseCidr(key));
  return { prefix: key, identity: owner ? owner.identity : IDENTITY_WORLD, prefixIdentity };
}

export interface IpcacheParts {
  /** The ipcache, updated in place. */
  ipcache: Map<string, IpcacheEntry>;
  objects: ObjectIndex;
  prefixes: PrefixRegistry;
  /** The namespace map's ipcache entries, updated in place (kept apart: listed after the rest). */
  namespaceMap: Map<string, IpcacheEntry>;
  /** The namespace identity of a live label identity (undefined: the identity is gone). */
  namespaceOf(identity: number): number | undefined;
}

/**
 * Recomputes the keys the batch may have changed: addresses of touched endpoints (before and
 * after), prefixes registered or released, and addresses inside those prefixes. Returns the delta.
 */
export function* updateIpcache(parts: IpcacheParts, w: Work): Steps<MapDelta<IpcacheEntry>> {
  const { ipcache, objects, prefixes } = parts;
  const before = new Map<string, IpcacheEntry>();
  const after = new Map<string, IpcacheEntry>();
  const step = ticker(KEYS_PER_STEP);
  for (const key of yield* changedKeys(parts, w)) {
    if (step()) yield;
    // The namespace map owns its /128s (below): an ipBlock of exactly one of them gets no entry.
    if (inNamespaceMap(key)) continue;
    const old = ipcache.get(key);
    if (old) before.set(key, old);
    const next = computeIpcacheEntry(key, objects.ownerOf(key), prefixes);
    if (next) {
      after.set(key, next);
      ipcache.set(key, next);
    } else {
      ipcache.delete(key);
    }
  }
  // The namespace map (bpf/include/tiers.h): one /128 per label identity, holding its namespace's
  // identity; never a prefix identity (it is no address).
  const { namespaceMap } = parts;
  for (const identity of w.namespaceMap) {
    const key = namespaceMapPrefix(identity);
    const old = namespaceMap.get(key);
    if (old) before.set(key, old);
    const ns = parts.namespaceOf(identity);
    if (ns !== undefined) {
      const next = { prefix: key, identity: ns, prefixIdentity: 0 };
      after.set(key, next);
      namespaceMap.set(key, next);
    } else {
      namespaceMap.delete(key);
    }
  }
  yield;
  return diffMaps(before, after);
}

/** ipcache keys computed (or addresses checked against the changed prefixes) per step. */
const KEYS_PER_STEP = 512;

function* changedKeys({ objects, prefixes }: IpcacheParts, w: Work): Steps<Set<string>> {
  const keys = new Set<string>();
  for (const key of w.touched) {
    for (const ip of w.oldEndpoints.get(key)?.ips ?? []) keys.add(hostPrefix(ip)!);
    for (const ip of objects.endpoints.get(key)?.endpoint.ips ?? []) keys.add(hostPrefix(ip)!);
  }
  const changedPrefixes = prefixes.drainChanged();
  for (const cidr of changedPrefixes) keys.add(cidr);
  if (changedPrefixes.size > 0) {
    // One lookup per prefix length in use, not one comparison per changed prefix, per address.
    const changed = new PrefixIndex<true>();
    const step = ticker(KEYS_PER_STEP);
    for (const cidr of changedPrefixes) {
      changed.set(mustParseCidr(cidr), true);
      if (step()) yield;
    }
    for (const cidr of objects.addressOwners.keys()) {
      if (changed.containsAny(mustParseCidr(cidr))) keys.add(cidr);
      if (step()) yield;
    }
  }
  return keys;
}

/** The ipcache range the namespace map holds (wire/entries.ts NAMESPACE_MAP_BYTES): no pod address. */
export const NAMESPACE_MAP_RANGE = "fdff:ffff:ffff:ffff:ffff:ffff::/96";
const namespaceMapRange = mustParseCidr(NAMESPACE_MAP_RANGE);
if (!NAMESPACE_MAP_BYTES.every((b, i) => namespaceMapRange.bytes[i] === b)) {
  throw new Error("NAMESPACE_MAP_RANGE disagrees with NAMESPACE_MAP_BYTES");
}

/** True for a /128 key of the namespace map's range (canonical prefix text). */
export function inNamespaceMap(cidr: string): boolean {
  if (!cidr.startsWith("fdff:")) return false;
  const p = mustParseCidr(cidr);
  return p.prefixLen === 128 && prefixContains(namespaceMapRange, p);
}
