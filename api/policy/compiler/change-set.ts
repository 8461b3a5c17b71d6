// Owns the change set one revision records: the ipcache delta, each changed policy set's delta
// once (not once per node that holds it), and per node which sets it gained, lost or saw change.
import {
  type EndpointEntry,
  emptyDelta,
  type IpcacheEntry,
  type MapDelta,
  type NodeDelta,
  type PolicyEntry,
} from "../../../wire/entries.ts";

export interface NodeChange {
  endpoints: MapDelta<EndpointEntry>;
  /** Sets the node held before and after whose entries changed: apply `sets[id]`. */
  changed: number[];
  /** Sets the node gained: upsert all of `setEntries[id]`. */
  added: number[];
  /** Sets the node lost: remove all of `removedSetEntries[id]`. */
  removed: number[];
}

export interface ChangeSet {
  ipcache: MapDelta<IpcacheEntry>;
  sets: Record<number, MapDelta<PolicyEntry>>;
  setEntries: Record<number, PolicyEntry[]>;
  removedSetEntries: Record<number, PolicyEntry[]>;
  nodes: Record<string, NodeChange>;
}

export function emptyChangeSet(): ChangeSet {
  return { ipcache: emptyDelta(), sets: {}, setEntries: {}, removedSetEntries: {}, nodes: {} };
}

/** What the change set means for one node, as map operations. */
export function nodeDelta(cs: ChangeSet, node: string): NodeDelta {
  const n = cs.nodes[node];
  const policies = emptyDelta<PolicyEntry>();
  if (n) {
    for (const id of n.changed) {
      policies.upsert.push(...(cs.sets[id]?.upsert ?? []));
      policies.remove.push(...(cs.sets[id]?.remove ?? []));
    }
    for (const id of n.added) policies.upsert.push(...(cs.setEntries[id] ?? []));
    for (const id of n.removed) policies.remove.push(...(cs.removedSetEntries[id] ?? []));
  }
  return { ipcache: cs.ipcache, endpoints: n?.endpoints ?? emptyDelta(), policies };
}
