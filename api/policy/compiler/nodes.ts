// Owns each node's compiled state (local endpoints and the policy sets they use), the per-node
// deltas of one apply, and the capacity check against the node's map sizes.
import type { EndpointEntry, IpcacheEntry, MapDelta, MapSizes, NodeState } from "../../../wire/entries.ts";
import { diffMaps } from "../../../wire/map-delta.ts";
import { type ChangeSet, emptyChangeSet, type NodeChange } from "./change-set.ts";
import { EngineError } from "./errors.ts";
import { JournaledMap } from "./journal.ts";
import { entriesBefore, setDelta } from "./set-changes.ts";
import {
  ADMIN_EGRESS,
  ADMIN_INGRESS,
  AUDIT_EGRESS,
  AUDIT_INGRESS,
  BASELINE_EGRESS,
  BASELINE_INGRESS,
  ISOLATED_ALL_EGRESS,
  ISOLATED_ALL_INGRESS,
} from "./set-views.ts";
import type { Steps } from "./steps.ts";
import type { EndpointRec, PolicySet } from "./types.ts";
import type { Work } from "./work.ts";

/** What the node tables read of the rest of the compiled state. */
export interface CompiledState {
  readonly ipcache: ReadonlyMap<string, IpcacheEntry>;
  /** More ipcache entries, listed after `ipcache`: the namespace map (tiers.h). */
  readonly namespaceMap: ReadonlyMap<string, IpcacheEntry>;
  readonly sets: ReadonlyMap<number, PolicySet>;
  readonly endpoints: ReadonlyMap<string, EndpointRec>;
  /** The endpoint that owns an interface on a node. */
  endpointAt(node: string, iface: string): EndpointRec | undefined;
}

/** What the node tables read of one apply's scratch state. */
type BatchChanges = Pick<Work, "touched" | "oldEndpoints" | "setChanges" | "releasedSets">;

interface NodeRec {
  endpoints: Map<string, EndpointEntry>;
  /** Policy set id -> number of local endpoints using it. */
  sets: Map<number, number>;
}

export class NodeTable {
  private readonly nodes = new JournaledMap<string, NodeRec>();
  /** Set ids each node held before the current apply, recorded on first change. */
  private readonly setsBefore = new JournaledMap<string, Set<number>>();

  constructor(readonly sizes: MapSizes) {}

  names(): string[] {
    return [...this.nodes.keys()].sort();
  }

  has(node: string): boolean {
    return this.nodes.has(node);
  }

  /** Endpoints placed on the node. */
  endpointCount(node: string): number {
    return this.nodes.get(node)?.endpoints.size ?? 0;
  }

  addSetRef(set: PolicySet, node: string): void {
    const rec = this.touch(node);
    rec.sets.set(set.id, (rec.sets.get(set.id) ?? 0) + 1);
    set.nodes.set(node, (set.nodes.get(node) ?? 0) + 1);
  }

  removeSetRef(set: PolicySet, node: string): void {
    const rec = this.touch(node);
    const n = (rec.sets.get(set.id) ?? 0) - 1;
    if (n > 0) rec.sets.set(set.id, n);
    else rec.sets.delete(set.id);
    const m = (set.nodes.get(node) ?? 0) - 1;
    if (m > 0) set.nodes.set(node, m);
    else set.nodes.delete(node);
  }

  /**
   * Brings every affected node up to date, a changed set or a node per step; returns the change
   * set; throws when a map would overflow.
   */
  *update(state: CompiledState, w: BatchChanges, ipcache: MapDelta<IpcacheEntry>): Steps<ChangeSet> {
    const ipcacheSize = state.ipcache.size + state.namespaceMap.size;
    if (ipcacheSize > this.sizes.ipcache) {
      throw capacityError("ipcache", "every node", ipcacheSize, this.sizes.ipcache);
    }
    const cs: ChangeSet = { ...emptyChangeSet(), ipcache };
    const affected = new Set(this.setsBefore.keys());
    const endpointKeys = new Set(w.touched);
    for (const [setId, old] of w.setChanges) {
      const set = state.sets.get(setId);
      if (!set) continue;
      const d = setDelta(set, old);
      if (d.upsert.length + d.remove.length > 0) cs.sets[setId] = d;
      for (const node of set.nodes.keys()) affected.add(node);
      const ids = old.ingressPolicyId !== set.ingressPolicyId || old.egressPolicyId !== set.egressPolicyId;
      if (ids || old.setFlags !== set.setFlags) {
        for (const key of set.members) endpointKeys.add(key);
      }
      yield;
    }
    const endpointDeltas = this.updateEndpoints(state, w, endpointKeys, affected);
    for (const node of affected) {
      const rec = this.record(node);
      // A node whose sets did not change this apply (no snapshot) held the same ones before.
      const before = this.setsBefore.get(node);
      const change: NodeChange = {
        endpoints: endpointDeltas.get(node) ?? { upsert: [], remove: [] },
        changed: [],
        added: [],
        removed: [],
      };
      for (const setId of rec.sets.keys()) {
        if (before && !before.has(setId)) {
          change.added.push(setId);
          cs.setEntries[setId] ??= [...state.sets.get(setId)!.entries.values()];
        } else if (cs.sets[setId]) {
          change.changed.push(setId);
        }
      }
      for (const setId of before ?? []) {
        if (rec.sets.has(setId)) continue;
        change.removed.push(setId);
        if (cs.removedSetEntries[setId]) continue;
        const live = state.sets.get(setId);
        const released = w.releasedSets.get(setId);
        cs.removedSetEntries[setId] = live
          ? [...entriesBefore(live, w.setChanges.get(setId))]
          : [...(released?.entries.values() ?? [])];
      }
      this.checkCapacity(node, rec, state);
      const { endpoints } = change;
      const empty = endpoints.upsert.length + endpoints.remove.length === 0;
      if (!empty || change.changed.length + change.added.length + change.removed.length > 0)
        cs.nodes[node] = change;
      yield;
    }
    this.setsBefore.clear();
    return cs;
  }

  snapshot(node: string, state: CompiledState): NodeState {
    const rec = this.nodes.get(node);
    return {
      ipcache: [...state.ipcache.values(), ...state.namespaceMap.values()],
      endpoints: rec ? [...rec.endpoints.values()] : [],
      policies: rec ? [...rec.sets.keys()].flatMap((id) => [...state.sets.get(id)!.entries.values()]) : [],
    };
  }

  private updateEndpoints(
    state: CompiledState,
    w: BatchChanges,
    keys: Set<string>,
    affected: Set<string>,
  ): Map<string, MapDelta<EndpointEntry>> {
    const slots = new Map<string, Set<string>>();
    const addSlot = (node: string, iface: string) => {
      let s = slots.get(node);
      if (!s) slots.set(node, (s = new Set()));
      s.add(iface);
      affected.add(node);
    };
    for (const key of keys) {
      const old = w.oldEndpoints.get(key);
      if (old) addSlot(old.node, old.iface);
      const live = state.endpoints.get(key);
      if (live) addSlot(live.endpoint.node, live.endpoint.interface);
    }
    const out = new Map<string, MapDelta<EndpointEntry>>();
    for (const [node, ifaces] of slots) {
      const rec = this.record(node);
      const before = new Map<string, EndpointEntry>();
      const after = new Map<string, EndpointEntry>();
      for (const iface of ifaces) {
        const cur = rec.endpoints.get(iface);
        if (cur) before.set(iface, cur);
        const owner = state.endpointAt(node, iface);
        if (owner) {
          const entry = endpointEntry(owner, state.sets.get(owner.setId)!);
          after.set(iface, entry);
          rec.endpoints.set(iface, entry);
        } else {
          rec.endpoints.delete(iface);
        }
      }
      out.set(node, diffMaps(before, after));
    }
    return out;
  }

  private checkCapacity(node: string, rec: NodeRec, state: CompiledState): void {
    if (rec.endpoints.size > this.sizes.endpoints) {
      throw capacityError("endpoints", `node ${node}`, rec.endpoints.size, this.sizes.endpoints);
    }
    let policies = 0;
    for (const setId of rec.sets.keys()) policies += state.sets.get(setId)!.entries.size;
    if (policies > this.sizes.policies)
      throw capacityError("policies", `node ${node}`, policies, this.sizes.policies);
  }

  /** The node's record, created on first use. */
  private record(node: string): NodeRec {
    let rec = this.nodes.get(node);
    if (!rec) this.nodes.set(node, (rec = { endpoints: new JournaledMap(), sets: new JournaledMap() }));
    return rec;
  }

  /** The node's record, remembering which sets it held before this apply changes them. */
  private touch(node: string): NodeRec {
    const rec = this.record(node);
    if (!this.setsBefore.has(node)) this.setsBefore.set(node, new Set(rec.sets.keys()));
    return rec;
  }
}

/** Policy set id no set is given (sets start at 1): no entries, so an isolated lookup finds nothing. */
export const NO_POLICY_SET = 0;

export function endpointEntry(rec: EndpointRec, set: PolicySet): EndpointEntry {
  if (rec.endpoint.labelsPending) {
    // Who the workload is is not known yet: deny both ways (Cilium's "init" identity), never allow.
    return {
      interface: rec.endpoint.interface,
      endpointId: rec.id,
      identity: rec.identity,
      policySetId: NO_POLICY_SET,
      ingressIsolated: true,
      egressIsolated: true,
      ingressPolicyId: 0,
      egressPolicyId: 0,
    };
  }
  const entry: EndpointEntry = {
    interface: rec.endpoint.interface,
    endpointId: rec.id,
    identity: rec.identity,
    policySetId: set.id,
    ingressIsolated: set.ingressPolicyId !== 0,
    egressIsolated: set.egressPolicyId !== 0,
    ingressPolicyId: set.ingressPolicyId,
    egressPolicyId: set.egressPolicyId,
  };
  // Only when set, so that endpoints without audit policies keep their exact entries.
  const f = set.setFlags;
  if (f & AUDIT_INGRESS) entry.ingressAudit = true;
  if (f & AUDIT_EGRESS) entry.egressAudit = true;
  if (f & ISOLATED_ALL_INGRESS) entry.ingressIsolatedAll = true;
  if (f & ISOLATED_ALL_EGRESS) entry.egressIsolatedAll = true;
  if (f & ADMIN_INGRESS) entry.ingressAdmin = true;
  if (f & ADMIN_EGRESS) entry.egressAdmin = true;
  if (f & BASELINE_INGRESS) entry.ingressBaseline = true;
  if (f & BASELINE_EGRESS) entry.egressBaseline = true;
  return entry;
}

export function capacityError(map: string, where: string, needed: number, size: number): EngineError {
  return new EngineError(
    "capacity.exceeded",
    `the change needs ${needed} ${map} entries on ${where}, but the map holds ${size}`,
    { map, where, needed, size },
  );
}
