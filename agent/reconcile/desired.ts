// Owns the desired state of a node as the agent tracks it: a snapshot, composed with deltas (pure).
import {
  endpointKey,
  ipcacheKey,
  type MapDelta,
  type NodeDelta,
  type NodeState,
  policyKey,
} from "../../wire/entries.ts";
import { canonicalIpcacheEntry, canonicalPolicyEntry } from "./planner.ts";

function applyMapDelta<T>(entries: readonly T[], delta: MapDelta<T>, key: (e: T) => string): T[] {
  const out = new Map<string, T>();
  for (const e of entries) out.set(key(e), e);
  for (const e of delta.remove) out.delete(key(e));
  for (const e of delta.upsert) out.set(key(e), e);
  return [...out.values()];
}

/** The state after a delta: removals first, then upserts (a key in both ends up upserted). */
export function applyDelta(state: NodeState, delta: NodeDelta): NodeState {
  return {
    ipcache: applyMapDelta(state.ipcache, delta.ipcache, (e) => ipcacheKey(canonicalIpcacheEntry(e))),
    endpoints: applyMapDelta(state.endpoints, delta.endpoints, endpointKey),
    policies: applyMapDelta(state.policies, delta.policies, (e) => policyKey(canonicalPolicyEntry(e))),
  };
}

export function emptyState(): NodeState {
  return { ipcache: [], endpoints: [], policies: [] };
}
