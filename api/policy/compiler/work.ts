// Owns the scratch state of one apply(): what the batch touched, and what must be recomputed.
import type { SetChange } from "./set-changes.ts";
import type { EndpointRec, PolicySet } from "./types.ts";

/** Where an endpoint was before this apply (null: it did not exist). */
export type EndpointBefore = { node: string; iface: string; ips: string[] } | null;

export interface Work {
  /** Endpoint keys whose identity, set or placement may have changed. */
  touched: Set<string>;
  removedEndpoints: Map<string, EndpointRec>;
  oldEndpoints: Map<string, EndpointBefore>;
  /** Tokens of policies whose subject sets recompute in full. */
  dirtyPolicies: Set<string>;
  dirtySets: Set<number>;
  /** Identities that gained or lost endpoints. */
  memberChanged: Set<number>;
  /** Policies whose peers gained or lost these identities: their sets recompute just those remotes. */
  partialPolicies: Map<string, Set<number>>;
  /**
   * Cluster policies that changed, and the sets of ones that changed or went: those sets recompute
   * only their tier entries, and only for these remotes (no NetworkPolicy entry depends on them).
   */
  tierPolicies: Map<string, Set<number>>;
  tierSets: Map<number, Set<number>>;
  setChanges: Map<number, SetChange>;
  releasedSets: Map<number, PolicySet>;
  /** Namespaces whose labels or namespace identity may have changed, or that were deleted. */
  namespaces: Set<string>;
  /** Label identities created or released: their namespace-map ipcache entries change. */
  namespaceMap: Set<number>;
}

export function newWork(): Work {
  return {
    touched: new Set(),
    removedEndpoints: new Map(),
    oldEndpoints: new Map(),
    dirtyPolicies: new Set(),
    dirtySets: new Set(),
    memberChanged: new Set(),
    partialPolicies: new Map(),
    tierPolicies: new Map(),
    tierSets: new Map(),
    setChanges: new Map(),
    releasedSets: new Map(),
    namespaces: new Set(),
    namespaceMap: new Set(),
  };
}
