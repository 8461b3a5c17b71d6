// Owns the incremental policy compiler: the store's objects in memory, and from each batch of
// changes the per-node map deltas it causes. Pure (no I/O). If apply() throws, the engine is in an
// undefined state and must be rebuilt from the store (the store's transaction has rolled back).
import { hostPrefix, mustParseCidr, type Prefix, prefixContains } from "../../../wire/cidr.ts";
import {
  DEFAULT_MAP_SIZES,
  FIRST_LABEL_IDENTITY,
  type IpcacheEntry,
  type MapDelta,
  type MapSizes,
  type NodeState,
} from "../../../wire/entries.ts";
import { type AllocationChange, Allocator } from "../allocator.ts";
import type { Endpoint, Namespace, NetworkPolicy } from "../model.ts";
import { labelsKey } from "../selectors.ts";
import { diffMaps } from "./delta.ts";
import { EngineError } from "./errors.ts";
import { computeIpcacheEntry } from "./ipcache.ts";
import { NodeTable } from "./nodes.ts";
import { compilePolicy, policyUsesIdentity, releasePolicy } from "./policies.ts";
import { PrefixRegistry } from "./prefixes.ts";
import { SelectorCache } from "./selector-cache.ts";
import { beginChange, replaceAll, replaceRemotes, type SetChange } from "./set-changes.ts";
import { computeSetEntries, type SetContext } from "./set-entries.ts";
import type { EndpointRec, PolicyRec, PolicySet } from "./types.ts";

export { EngineError };

export type Change =
  | { kind: "namespace"; op: "upsert"; value: Namespace }
  | { kind: "namespace"; op: "delete"; name: string }
  | { kind: "endpoint"; op: "upsert"; id: number; value: Endpoint }
  | { kind: "endpoint"; op: "delete"; namespace: string; name: string }
  | { kind: "policy"; op: "upsert"; id: number; value: NetworkPolicy }
  | { kind: "policy"; op: "delete"; namespace: string; name: string };

import type { ChangeSet } from "./change-set.ts";

export type { ChangeSet };

export interface ApplyResult {
  changes: ChangeSet;
  allocations: AllocationChange[];
  setsRecomputed: number;
}

export interface EngineOptions {
  mapSizes?: MapSizes;
  /** Allocations loaded from the store, so ids stay stable across restarts. */
  allocations?: { kind: string; key: string; id: number }[];
  highWater?: Partial<Record<"identity" | "prefix" | "set", number>>;
}

/** Scratch state of one apply(). */
export interface Work {
  touched: Set<string>;
  removedEndpoints: Map<string, EndpointRec>;
  oldEndpoints: Map<string, { node: string; iface: string; ips: string[] } | null>;
  dirtyPolicies: Set<string>;
  dirtySets: Set<number>;
  memberChanged: Set<number>;
  /** Policies whose peers gained or lost these identities: their sets recompute just those remotes. */
  partialPolicies: Map<string, Set<number>>;
  setChanges: Map<number, SetChange>;
  releasedSets: Map<number, PolicySet>;
}

export class PolicyEngine {
  readonly namespaces = new Map<string, Namespace>();
  readonly endpoints = new Map<string, EndpointRec>();
  private readonly endpointsByNs = new Map<string, Set<string>>();
  private readonly ipOwners = new Map<string, string>();
  private readonly ifaceOwners = new Map<string, string>();
  readonly policies = new Map<string, PolicyRec>();
  private readonly policiesByNs = new Map<string, Set<string>>();
  private readonly policyByToken = new Map<string, PolicyRec>();
  readonly selectors = new SelectorCache();
  readonly prefixes: PrefixRegistry;
  private readonly identityAlloc: Allocator;
  private readonly setAlloc: Allocator;
  private readonly identityMembers = new Map<number, Set<string>>();
  private readonly identitySets = new Map<number, Set<number>>();
  readonly sets = new Map<number, PolicySet>();
  readonly ipcache = new Map<string, IpcacheEntry>();
  readonly nodes: NodeTable;
  private tokenCounter = 0;

  constructor(opts: EngineOptions = {}) {
    const loaded = (kind: string) =>
      (opts.allocations ?? []).filter((a) => a.kind === kind).map((a): [string, number] => [a.key, a.id]);
    this.identityAlloc = new Allocator(
      "identity",
      FIRST_LABEL_IDENTITY,
      loaded("identity"),
      opts.highWater?.identity,
    );
    this.setAlloc = new Allocator("set", 1, loaded("set"), opts.highWater?.set);
    this.prefixes = new PrefixRegistry(loaded("prefix"), opts.highWater?.prefix);
    this.nodes = new NodeTable(opts.mapSizes ?? DEFAULT_MAP_SIZES);
  }

  /** Releases loaded allocations that nothing uses (call once after the first, full apply). */
  purgeUnusedAllocations(): AllocationChange[] {
    this.identityAlloc.purgeUnused();
    this.setAlloc.purgeUnused();
    this.prefixes.allocator.purgeUnused();
    return this.drainAllocations();
  }

  /** Every allocation held now, as the store persists them. */
  allocationsSnapshot(): { kind: string; key: string; id: number }[] {
    return [this.identityAlloc, this.setAlloc, this.prefixes.allocator].flatMap((a) =>
      a.entries().map(([key, id]) => ({ kind: a.kind, key, id })),
    );
  }

  highWater(): Record<"identity" | "prefix" | "set", number> {
    return {
      identity: this.identityAlloc.highWater,
      prefix: this.prefixes.allocator.highWater,
      set: this.setAlloc.highWater,
    };
  }

  apply(changes: Change[]): ApplyResult {
    const w: Work = {
      touched: new Set(),
      removedEndpoints: new Map(),
      oldEndpoints: new Map(),
      dirtyPolicies: new Set(),
      dirtySets: new Set(),
      memberChanged: new Set(),
      partialPolicies: new Map(),
      setChanges: new Map(),
      releasedSets: new Map(),
    };
    for (const c of changes) this.applyOne(c, w);
    for (const key of w.touched) this.reassign(key, w);
    this.propagateNamedEgress(w);
    const setsRecomputed = this.recomputeSets(w);
    const ipcache = this.updateIpcache(w);
    const changeSet = this.nodes.update(this, w, ipcache);
    return { changes: changeSet, allocations: this.drainAllocations(), setsRecomputed };
  }

  /** The endpoint that owns an interface on a node. */
  endpointAt(node: string, iface: string): EndpointRec | undefined {
    const key = this.ifaceOwners.get(`${node}/${iface}`);
    return key === undefined ? undefined : this.endpoints.get(key);
  }

  /** The endpoint that owns an address. */
  endpointByIp(ip: string): EndpointRec | undefined {
    const cidr = hostPrefix(ip);
    const key = cidr === null ? undefined : this.ipOwners.get(cidr);
    return key === undefined ? undefined : this.endpoints.get(key);
  }

  /** The whole desired state of one node (a snapshot). */
  nodeState(node: string): NodeState {
    return this.nodes.snapshot(node, this);
  }

  private applyOne(c: Change, w: Work): void {
    switch (c.kind) {
      case "namespace":
        if (c.op === "upsert") this.upsertNamespace(c.value, w);
        else this.deleteNamespace(c.name);
        return;
      case "endpoint":
        if (c.op === "upsert") this.upsertEndpoint(c.id, c.value, w);
        else this.deleteEndpoint(`${c.namespace}/${c.name}`, w);
        return;
      case "policy":
        if (c.op === "upsert") this.upsertPolicy(c.id, c.value, w);
        else this.deletePolicy(`${c.namespace}/${c.name}`, w);
        return;
    }
  }

  private upsertNamespace(ns: Namespace, w: Work): void {
    const old = this.namespaces.get(ns.name);
    this.namespaces.set(ns.name, ns);
    if (old && labelsKey(old.labels) !== labelsKey(ns.labels)) {
      for (const key of this.endpointsByNs.get(ns.name) ?? []) {
        this.rememberEndpoint(key, w);
        w.touched.add(key);
      }
    }
  }

  private deleteNamespace(name: string): void {
    if ((this.endpointsByNs.get(name)?.size ?? 0) > 0 || (this.policiesByNs.get(name)?.size ?? 0) > 0) {
      throw new EngineError("namespace.not_empty", `namespace ${name} still holds endpoints or policies`);
    }
    this.namespaces.delete(name);
  }

  private upsertEndpoint(id: number, ep: Endpoint, w: Work): void {
    if (!this.namespaces.has(ep.namespace)) {
      throw new EngineError("namespace.not_found", `namespace ${ep.namespace} does not exist`, {
        namespace: ep.namespace,
      });
    }
    const key = `${ep.namespace}/${ep.name}`;
    const live = this.endpoints.get(key);
    // An endpoint deleted earlier in this batch keeps its record, so its old identity is released once.
    const existing = live ?? w.removedEndpoints.get(key);
    this.rememberEndpoint(key, w);
    if (live) this.unindexEndpoint(live);
    for (const ip of ep.ips) {
      const owner = this.ipOwners.get(hostPrefix(ip)!);
      if (owner !== undefined) {
        if (live) this.indexEndpoint(live);
        throw new EngineError("endpoint.ip_conflict", `address ${ip} is already used by endpoint ${owner}`, {
          ip,
          owner,
        });
      }
    }
    const ifaceKey = `${ep.node}/${ep.interface}`;
    const ifaceOwner = this.ifaceOwners.get(ifaceKey);
    if (ifaceOwner !== undefined) {
      if (live) this.indexEndpoint(live);
      throw new EngineError(
        "endpoint.interface_conflict",
        `interface ${ep.interface} on node ${ep.node} is already used by endpoint ${ifaceOwner}`,
        { interface: ep.interface, node: ep.node, owner: ifaceOwner },
      );
    }
    const rec: EndpointRec = existing ?? {
      key,
      id,
      endpoint: ep,
      identity: 0,
      identityKey: "",
      setId: 0,
      setKey: "",
    };
    rec.id = id;
    rec.endpoint = ep;
    this.endpoints.set(key, rec);
    this.indexEndpoint(rec);
    let keys = this.endpointsByNs.get(ep.namespace);
    if (!keys) this.endpointsByNs.set(ep.namespace, (keys = new Set()));
    keys.add(key);
    w.removedEndpoints.delete(key);
    w.touched.add(key);
  }

  private deleteEndpoint(key: string, w: Work): void {
    const rec = this.endpoints.get(key);
    if (!rec) return;
    this.rememberEndpoint(key, w);
    this.unindexEndpoint(rec);
    this.endpoints.delete(key);
    this.endpointsByNs.get(rec.endpoint.namespace)?.delete(key);
    w.removedEndpoints.set(key, rec);
    w.touched.add(key);
  }

  private rememberEndpoint(key: string, w: Work): void {
    if (w.oldEndpoints.has(key)) return;
    const rec = this.endpoints.get(key);
    w.oldEndpoints.set(
      key,
      rec ? { node: rec.endpoint.node, iface: rec.endpoint.interface, ips: rec.endpoint.ips } : null,
    );
  }

  private indexEndpoint(rec: EndpointRec): void {
    for (const ip of rec.endpoint.ips) this.ipOwners.set(hostPrefix(ip)!, rec.key);
    this.ifaceOwners.set(`${rec.endpoint.node}/${rec.endpoint.interface}`, rec.key);
  }

  private unindexEndpoint(rec: EndpointRec): void {
    for (const ip of rec.endpoint.ips) this.ipOwners.delete(hostPrefix(ip)!);
    this.ifaceOwners.delete(`${rec.endpoint.node}/${rec.endpoint.interface}`);
  }

  private upsertPolicy(id: number, policy: NetworkPolicy, w: Work): void {
    if (!this.namespaces.has(policy.namespace)) {
      throw new EngineError("namespace.not_found", `namespace ${policy.namespace} does not exist`, {
        namespace: policy.namespace,
      });
    }
    const key = `${policy.namespace}/${policy.name}`;
    const token = `${key}#${++this.tokenCounter}`;
    const rec = compilePolicy(key, token, id, policy, this.selectors, this.prefixes, w.dirtyPolicies);
    const old = this.policies.get(key);
    if (old) this.deletePolicy(key, w);
    this.policies.set(key, rec);
    addTo(this.policiesByNs, policy.namespace, key);
    this.policyByToken.set(token, rec);
    w.dirtyPolicies.add(token);
  }

  private deletePolicy(key: string, w: Work): void {
    const rec = this.policies.get(key);
    if (!rec) return;
    // Its subjects lose its rules: recompute them.
    for (const identity of this.selectors.selected(rec.subjectKey)) {
      for (const setId of this.identitySets.get(identity) ?? []) w.dirtySets.add(setId);
    }
    releasePolicy(rec, this.selectors, this.prefixes, w.dirtyPolicies);
    this.policies.delete(key);
    removeFrom(this.policiesByNs, rec.policy.namespace, key);
    this.policyByToken.delete(rec.token);
  }

  /** Gives a touched endpoint its identity and policy set, releasing the old ones. */
  private reassign(key: string, w: Work): void {
    const live = this.endpoints.get(key);
    const rec = live ?? w.removedEndpoints.get(key);
    if (!rec) return;
    const oldIdentity = rec.identity;
    const oldIdentityKey = rec.identityKey;
    const oldSetKey = rec.setKey;
    const oldSetId = rec.setId;
    const oldNode = w.oldEndpoints.get(key)?.node;
    if (live) {
      const ep = live.endpoint;
      const ns = this.namespaces.get(ep.namespace)!;
      const identityKey = JSON.stringify([ep.namespace, labelsKey(ns.labels), labelsKey(ep.labels)]);
      const { id, created } = this.identityAlloc.acquire(identityKey);
      if (created) {
        const info = { id, namespace: ep.namespace, namespaceLabels: ns.labels, labels: ep.labels };
        for (const token of this.selectors.addIdentity(info)) addTo(w.partialPolicies, token, id);
      }
      addTo(this.identityMembers, id, key);
      w.memberChanged.add(id);
      const namedPorts = ep.ports
        .filter((p) => p.name !== "")
        .map((p) => `${p.name}/${p.protocol}/${p.port}`);
      const setKey = `${id}|${namedPorts.sort().join(",")}`;
      const set = this.acquireSet(setKey, id, ep, w);
      set.members.add(key);
      this.nodes.addSetRef(set, ep.node);
      rec.identity = id;
      rec.identityKey = identityKey;
      rec.setId = set.id;
      rec.setKey = setKey;
    }
    if (oldIdentity !== 0) {
      const oldSet = this.sets.get(oldSetId)!;
      if (oldNode !== undefined) this.nodes.removeSetRef(oldSet, oldNode);
      if (!live || oldSetKey !== rec.setKey) oldSet.members.delete(key);
      this.releaseSet(oldSetKey, oldSet, w);
      if (!live || oldIdentityKey !== rec.identityKey) removeFrom(this.identityMembers, oldIdentity, key);
      w.memberChanged.add(oldIdentity);
      if (this.identityAlloc.release(oldIdentityKey)) {
        for (const token of this.selectors.removeIdentity(oldIdentity))
          addTo(w.partialPolicies, token, oldIdentity);
        this.identityMembers.delete(oldIdentity);
      }
    }
  }

  private acquireSet(setKey: string, identity: number, ep: Endpoint, w: Work): PolicySet {
    const { id, created } = this.setAlloc.acquire(setKey);
    if (!created) return this.sets.get(id)!;
    const set: PolicySet = {
      id,
      key: setKey,
      identity,
      namespace: ep.namespace,
      ports: ep.ports,
      members: new Set(),
      nodes: new Map(),
      entries: new Map(),
      byRemote: new Map(),
      ingressPolicyId: 0,
      egressPolicyId: 0,
      hostPrefixes: [],
    };
    this.sets.set(id, set);
    addTo(this.identitySets, identity, id);
    w.dirtySets.add(id);
    return set;
  }

  private releaseSet(setKey: string, set: PolicySet, w: Work): void {
    if (!this.setAlloc.release(setKey)) return;
    this.sets.delete(set.id);
    removeFrom(this.identitySets, set.identity, set.id);
    const affected = new Set<string>();
    for (const cidr of set.hostPrefixes) this.prefixes.release(cidr, affected);
    for (const token of affected) w.dirtyPolicies.add(token);
    w.releasedSets.set(set.id, set);
  }

  /** Policies whose egress named ports resolve against endpoints that changed must recompute. */
  private propagateNamedEgress(w: Work): void {
    if (w.memberChanged.size === 0) return;
    for (const rec of this.policies.values()) {
      if (rec.namedEgress === "none") continue;
      if (
        rec.namedEgress === "all" ||
        [...w.memberChanged].some((id) => policyUsesIdentity(rec, id, this.selectors))
      ) {
        w.dirtyPolicies.add(rec.token);
      }
    }
  }

  /** Recomputes dirty sets (fully, or for some remotes only) until no new prefix dirties more. */
  private recomputeSets(w: Work): number {
    let count = 0;
    const ctx = this.setContext();
    const subjectSets = (token: string, visit: (setId: number) => void) => {
      const rec = this.policyByToken.get(token);
      if (!rec) return;
      for (const identity of this.selectors.selected(rec.subjectKey)) {
        for (const setId of this.identitySets.get(identity) ?? []) visit(setId);
      }
    };
    while (w.dirtySets.size > 0 || w.dirtyPolicies.size > 0 || w.partialPolicies.size > 0) {
      for (const token of w.dirtyPolicies) subjectSets(token, (setId) => w.dirtySets.add(setId));
      const partial = new Map<number, Set<number>>();
      for (const [token, ids] of w.partialPolicies) {
        subjectSets(token, (setId) => {
          for (const id of ids) addTo(partial, setId, id);
        });
      }
      w.dirtyPolicies.clear();
      w.partialPolicies.clear();
      for (const [setId, remotes] of partial) {
        const set = this.sets.get(setId);
        if (!set || w.dirtySets.has(setId)) continue;
        if (ctx.policiesSelecting(set.identity).some((p) => p.namedEgress !== "none")) {
          w.dirtySets.add(setId);
          continue;
        }
        const result = computeSetEntries(set, ctx, remotes);
        replaceRemotes(set, remotes, result.entries, beginChange(w.setChanges, set));
        count++;
      }
      const batch = [...w.dirtySets];
      w.dirtySets.clear();
      for (const setId of batch) {
        const set = this.sets.get(setId);
        if (!set) continue;
        const change = beginChange(w.setChanges, set);
        const affected = new Set<string>();
        const held: string[] = [];
        ctx.hostPrefixId = (ip: string) => {
          const cidr = hostPrefix(ip)!;
          held.push(cidr);
          return this.prefixes.acquire(cidr, affected);
        };
        const result = computeSetEntries(set, ctx);
        for (const cidr of set.hostPrefixes) this.prefixes.release(cidr, affected);
        set.hostPrefixes = held;
        replaceAll(set, result.entries, change);
        set.ingressPolicyId = result.ingressPolicyId;
        set.egressPolicyId = result.egressPolicyId;
        for (const token of affected) w.dirtyPolicies.add(token);
        count++;
      }
    }
    return count;
  }

  private setContext(): SetContext {
    return {
      policiesSelecting: (identity) => {
        const info = this.selectors.identities.get(identity);
        if (!info) return [];
        const out: PolicyRec[] = [];
        for (const key of this.policiesByNs.get(info.namespace) ?? []) {
          const rec = this.policies.get(key)!;
          if (this.selectors.selected(rec.subjectKey).has(identity)) out.push(rec);
        }
        return out.sort((a, b) => a.id - b.id);
      },
      peerIdentities: (peer) =>
        peer.kind === "selector" ? this.selectors.selected(peer.key) : this.prefixes.selected(peer.key),
      allIdentities: () => this.selectors.identities.keys(),
      members: (identity) =>
        [...(this.identityMembers.get(identity) ?? [])].map((k) => this.endpoints.get(k)!),
      endpointsInBlock: (blockKey) => {
        const out: [EndpointRec, string][] = [];
        for (const [cidr, key] of this.ipOwners) {
          const rec = this.endpoints.get(key)!;
          const ip = rec.endpoint.ips.find((a) => hostPrefix(a) === cidr)!;
          if (this.prefixes.blockContains(blockKey, mustHost(cidr))) out.push([rec, ip]);
        }
        return out;
      },
      hostPrefixId: () => {
        throw new Error("hostPrefixId used outside a set recompute");
      },
    };
  }

  private updateIpcache(w: Work): MapDelta<IpcacheEntry> {
    const keys = new Set<string>();
    for (const key of w.touched) {
      for (const ip of w.oldEndpoints.get(key)?.ips ?? []) keys.add(hostPrefix(ip)!);
      for (const ip of this.endpoints.get(key)?.endpoint.ips ?? []) keys.add(hostPrefix(ip)!);
    }
    const changedPrefixes = this.prefixes.drainChanged();
    for (const cidr of changedPrefixes) keys.add(cidr);
    if (changedPrefixes.size > 0) {
      const changed = [...changedPrefixes].map(mustHost);
      for (const cidr of this.ipOwners.keys()) {
        const host = mustHost(cidr);
        if (changed.some((p) => prefixContains(p, host))) keys.add(cidr);
      }
    }
    const before = new Map<string, IpcacheEntry>();
    const after = new Map<string, IpcacheEntry>();
    for (const key of keys) {
      const old = this.ipcache.get(key);
      if (old) before.set(key, old);
      const next = computeIpcacheEntry(key, this.ipOwners, this.endpoints, this.prefixes);
      if (next) {
        after.set(key, next);
        this.ipcache.set(key, next);
      } else {
        this.ipcache.delete(key);
      }
    }
    return diffMaps(before, after);
  }

  private drainAllocations(): AllocationChange[] {
    return [
      ...this.identityAlloc.drainChanges(),
      ...this.setAlloc.drainChanges(),
      ...this.prefixes.allocator.drainChanges(),
    ];
  }
}

function mustHost(cidr: string): Prefix {
  return mustParseCidr(cidr);
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}
