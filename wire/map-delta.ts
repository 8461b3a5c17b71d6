// Owns the algebra of map deltas (pure): entries keyed by their canonical key, the diff between two
// states of a map, applying a delta and merging consecutive ones. The compiler diffs, the sync hub
// merges, the agent applies and plans with these functions, so all of them agree on what a key is.
import {
  canonicalIpcacheEntry,
  canonicalPolicyEntry,
  type EndpointEntry,
  endpointKey,
  type IpcacheEntry,
  ipcacheKey,
  type MapDelta,
  type NodeDelta,
  type NodeState,
  type PolicyEntry,
  policyKey,
} from "./entries.ts";

/** How the algebra treats the entries of one map. */
export interface EntryMap<T> {
  /** The key of an entry that is in canonical form. */
  key(e: T): string;
  /** The form the datapath stores the entry in; two spellings of one key share it. */
  canonical(e: T): T;
  /** Whether two entries of the same key hold the same value. */
  sameValue(a: T, b: T): boolean;
}

const ipcacheMap: EntryMap<IpcacheEntry> = {
  key: ipcacheKey,
  canonical: canonicalIpcacheEntry,
  sameValue: (a, b) => a.identity === b.identity && a.prefixIdentity === b.prefixIdentity,
};

const endpointMap: EntryMap<EndpointEntry> = {
  key: endpointKey,
  canonical: (e) => e,
  sameValue: (a, b) =>
    a.endpointId === b.endpointId &&
    a.identity === b.identity &&
    a.policySetId === b.policySetId &&
    a.ingressIsolated === b.ingressIsolated &&
    a.egressIsolated === b.egressIsolated &&
    a.ingressPolicyId === b.ingressPolicyId &&
    a.egressPolicyId === b.egressPolicyId &&
    (a.ingressAudit ?? false) === (b.ingressAudit ?? false) &&
    (a.egressAudit ?? false) === (b.egressAudit ?? false) &&
    (a.ingressIsolatedAll ?? false) === (b.ingressIsolatedAll ?? false) &&
    (a.egressIsolatedAll ?? false) === (b.egressIsolatedAll ?? false) &&
    (a.ingressAdmin ?? false) === (b.ingressAdmin ?? false) &&
    (a.egressAdmin ?? false) === (b.egressAdmin ?? false) &&
    (a.ingressBaseline ?? false) === (b.ingressBaseline ?? false) &&
    (a.egressBaseline ?? false) === (b.egressBaseline ?? false),
};

// A policy entry's value is its attribution; a tier entry's also its action, priority and mode.
const policyMap: EntryMap<PolicyEntry> = {
  key: policyKey,
  canonical: canonicalPolicyEntry,
  sameValue: (a, b) =>
    a.policyId === b.policyId &&
    a.ruleIndex === b.ruleIndex &&
    a.verdict === b.verdict &&
    a.priority === b.priority &&
    (a.audit ?? false) === (b.audit ?? false),
};

export const ENTRY_MAPS: { readonly [M in keyof NodeState]: EntryMap<NodeState[M][number]> } = {
  ipcache: ipcacheMap,
  endpoints: endpointMap,
  policies: policyMap,
};

/** The key of an entry in any spelling: the key of its canonical form. */
export function canonicalKey<T>(map: EntryMap<T>, e: T): string {
  return map.key(map.canonical(e));
}

/** Entries in canonical form by key (a later entry of one key replaces an earlier one). */
export function keyEntries<T>(entries: Iterable<T>, map: EntryMap<T>): Map<string, T> {
  const out = new Map<string, T>();
  for (const e of entries) {
    const c = map.canonical(e);
    out.set(map.key(c), c);
  }
  return out;
}

/** Shallow equality of two flat entry objects. */
export function sameEntry<T>(a: T, b: T): boolean {
  if (a === b) return true;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra);
  if (keys.length !== Object.keys(rb).length) return false;
  return keys.every((k) => ra[k] === rb[k]);
}

/**
 * The changes that turn `before` into `after` (both keyed the same way): an upsert for each entry
 * that is new or holds another value, a removal for each key that is gone.
 */
export function diffMaps<T>(
  before: ReadonlyMap<string, T>,
  after: ReadonlyMap<string, T>,
  same: (a: T, b: T) => boolean = sameEntry,
): MapDelta<T> {
  const delta: MapDelta<T> = { upsert: [], remove: [] };
  for (const [key, value] of after) {
    const old = before.get(key);
    if (old === undefined || !same(old, value)) delta.upsert.push(value);
  }
  for (const [key, value] of before) if (!after.has(key)) delta.remove.push(value);
  return delta;
}

export function isEmptyDelta(d: MapDelta<unknown>): boolean {
  return d.upsert.length === 0 && d.remove.length === 0;
}

/**
 * `entries` after a delta: removals first, then upserts (a key in both ends up upserted). Entries
 * keep the form they arrived in; `key` decides which ones are the same.
 */
export function applyMapDelta<T>(entries: readonly T[], delta: MapDelta<T>, key: (e: T) => string): T[] {
  const out = new Map<string, T>();
  for (const e of entries) out.set(key(e), e);
  applyMapDeltaTo(out, delta, key);
  return [...out.values()];
}

/** Applies a delta to a map of entries by key, in place (removals first, then upserts). */
export function applyMapDeltaTo<T>(map: Map<string, T>, delta: MapDelta<T>, key: (e: T) => string): void {
  for (const e of delta.remove) map.delete(key(e));
  for (const e of delta.upsert) map.set(key(e), e);
}

/** Composes consecutive deltas of one map into one: the last operation on a key wins. */
export function mergeMapDeltas<T>(parts: readonly MapDelta<T>[], key: (e: T) => string): MapDelta<T> {
  const ops = new Map<string, { upsert: boolean; entry: T }>();
  for (const part of parts) {
    for (const e of part.remove) ops.set(key(e), { upsert: false, entry: e });
    for (const e of part.upsert) ops.set(key(e), { upsert: true, entry: e });
  }
  const out: MapDelta<T> = { upsert: [], remove: [] };
  for (const { upsert, entry } of ops.values()) (upsert ? out.upsert : out.remove).push(entry);
  return out;
}

const ipcacheKeyOf = (e: IpcacheEntry) => canonicalKey(ipcacheMap, e);
const endpointKeyOf = (e: EndpointEntry) => canonicalKey(endpointMap, e);
const policyKeyOf = (e: PolicyEntry) => canonicalKey(policyMap, e);

/** The delta that turns one node state into another, in canonical form, compared by value. */
export function diffNodeStates(before: NodeState, after: NodeState): NodeDelta {
  const diff = <T>(b: readonly T[], a: readonly T[], map: EntryMap<T>) =>
    diffMaps(keyEntries(b, map), keyEntries(a, map), map.sameValue);
  return {
    ipcache: diff(before.ipcache, after.ipcache, ipcacheMap),
    endpoints: diff(before.endpoints, after.endpoints, endpointMap),
    policies: diff(before.policies, after.policies, policyMap),
  };
}

/** The state after a delta; entries of a map are matched by canonical key. */
export function applyNodeDelta(state: NodeState, delta: NodeDelta): NodeState {
  return {
    ipcache: applyMapDelta(state.ipcache, delta.ipcache, ipcacheKeyOf),
    endpoints: applyMapDelta(state.endpoints, delta.endpoints, endpointKeyOf),
    policies: applyMapDelta(state.policies, delta.policies, policyKeyOf),
  };
}

/**
 * Composes consecutive deltas of one node into one (later operations on a key win), so a node
 * that fell behind gets one message per catch-up instead of one per revision.
 */
export function mergeNodeDeltas(deltas: readonly NodeDelta[]): NodeDelta {
  return {
    ipcache: mergeMapDeltas(
      deltas.map((d) => d.ipcache),
      ipcacheKeyOf,
    ),
    endpoints: mergeMapDeltas(
      deltas.map((d) => d.endpoints),
      endpointKeyOf,
    ),
    policies: mergeMapDeltas(
      deltas.map((d) => d.policies),
      policyKeyOf,
    ),
  };
}

export function emptyNodeState(): NodeState {
  return { ipcache: [], endpoints: [], policies: [] };
}

export function emptyNodeDelta(): NodeDelta {
  return {
    ipcache: { upsert: [], remove: [] },
    endpoints: { upsert: [], remove: [] },
    policies: { upsert: [], remove: [] },
  };
}
