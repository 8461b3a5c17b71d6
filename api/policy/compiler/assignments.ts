// Owns identity and policy-set allocation: gives each endpoint the identity of its labels and the
// policy set of (identity, named ports), keeps who holds each, and the ids the store persists.
import {
  FIRST_LABEL_IDENTITY,
  FIRST_NAMESPACE_IDENTITY,
  FIRST_PREFIX_IDENTITY,
} from "../../../wire/entries.ts";
import { type AllocationChange, Allocator } from "../allocator.ts";
import type { Endpoint } from "../model.ts";
import { identityKey as identityKeyOf } from "./identity-key.ts";
import { JournaledMap, JournaledSet, setField } from "./journal.ts";
import { addTo, removeFrom } from "./keyed-sets.ts";
import type { NodeTable } from "./nodes.ts";
import type { ObjectIndex } from "./objects.ts";
import type { PrefixRegistry } from "./prefixes.ts";
import type { SelectorCache } from "./selector-cache.ts";
import type { EndpointRec, PolicySet } from "./types.ts";
import type { Work } from "./work.ts";

export type AllocatorKind = "identity" | "prefix" | "set" | "namespace";

/**
 * The kinds whose high-water mark the store keeps, so that a released id is never handed out again
 * (conntrack entries and agents may still name an old identity). Namespace identities are left
 * out: only entries that go in the same revision as the identity ever name one (the namespace map
 * and tier entries), so reusing one after a restart is safe.
 */
export type HighWaterKind = Exclude<AllocatorKind, "namespace">;

/** An allocation as the store persists it. */
export interface StoredAllocation {
  kind: string;
  key: string;
  id: number;
}

export interface AssignmentsOptions {
  objects: ObjectIndex;
  selectors: SelectorCache;
  prefixes: PrefixRegistry;
  nodes: NodeTable;
  /** Allocations loaded from the store, so ids stay stable across restarts. */
  allocations?: StoredAllocation[];
  highWater?: Partial<Record<HighWaterKind, number>>;
}

/** The stored allocations of one kind, as an allocator loads them. */
export function persistedOf(
  allocations: StoredAllocation[] | undefined,
  kind: AllocatorKind,
): [string, number][] {
  return (allocations ?? []).filter((a) => a.kind === kind).map((a) => [a.key, a.id]);
}

export class Assignments {
  readonly sets = new JournaledMap<number, PolicySet>();
  private readonly identityAlloc: Allocator;
  /** Namespace identities, keyed by namespace name, held once per label identity of the namespace. */
  private readonly namespaceAlloc: Allocator;
  private readonly setAlloc: Allocator;
  /** Identity -> keys of the endpoints holding it. */
  private readonly identityMembers = new JournaledMap<number, Set<string>>();
  /** Identity -> ids of its policy sets. */
  private readonly identitySets = new JournaledMap<number, Set<number>>();
  private readonly objects: ObjectIndex;
  private readonly selectors: SelectorCache;
  private readonly prefixes: PrefixRegistry;
  private readonly nodes: NodeTable;

  constructor(opts: AssignmentsOptions) {
    this.objects = opts.objects;
    this.selectors = opts.selectors;
    this.prefixes = opts.prefixes;
    this.nodes = opts.nodes;
    const persisted = (kind: AllocatorKind) => persistedOf(opts.allocations, kind);
    this.identityAlloc = new Allocator({
      kind: "identity",
      first: FIRST_LABEL_IDENTITY,
      last: FIRST_NAMESPACE_IDENTITY - 1,
      persisted: persisted("identity"),
      highWater: opts.highWater?.identity,
    });
    this.namespaceAlloc = new Allocator({
      kind: "namespace",
      first: FIRST_NAMESPACE_IDENTITY,
      last: FIRST_PREFIX_IDENTITY - 1,
      persisted: persisted("namespace"),
    });
    this.setAlloc = new Allocator({
      kind: "set",
      first: 1,
      persisted: persisted("set"),
      highWater: opts.highWater?.set,
    });
  }

  /** Ids of the policy sets of an identity. */
  setsOf(identity: number): Iterable<number> {
    return this.identitySets.get(identity) ?? [];
  }

  /** The namespace identity of a namespace (undefined while it has no label identity). */
  namespaceIdentity(namespace: string): number | undefined {
    return this.namespaceAlloc.idOf(namespace);
  }

  /** Endpoints holding an identity. */
  membersOf(identity: number): EndpointRec[] {
    return [...(this.identityMembers.get(identity) ?? [])].map((k) => this.objects.endpoints.get(k)!);
  }

  /** Gives a touched endpoint its identity and policy set, releasing the old ones. */
  reassign(key: string, w: Work): void {
    const live = this.objects.endpoints.get(key);
    const rec = live ?? w.removedEndpoints.get(key);
    if (!rec) return;
    const old = {
      identity: rec.identity,
      identityKey: rec.identityKey,
      setKey: rec.setKey,
      setId: rec.setId,
    };
    const oldNode = w.oldEndpoints.get(key)?.node;
    if (live) this.assign(live, w);
    if (old.identity === 0) return;
    const oldSet = this.sets.get(old.setId)!;
    if (oldNode !== undefined) this.nodes.removeSetRef(oldSet, oldNode);
    if (!live || old.setKey !== rec.setKey) oldSet.members.delete(key);
    this.releaseSet(old.setKey, oldSet, w);
    if (!live || old.identityKey !== rec.identityKey) removeFrom(this.identityMembers, old.identity, key);
    w.memberChanged.add(old.identity);
    if (this.identityAlloc.release(old.identityKey)) {
      const namespace = this.selectors.identities.get(old.identity)!.namespace;
      for (const token of this.selectors.removeIdentity(old.identity, this.peerUse))
        addTo(w.partialPolicies, token, old.identity);
      this.identityMembers.delete(old.identity);
      w.namespaceMap.add(old.identity);
      if (this.namespaceAlloc.release(namespace)) w.namespaces.add(namespace);
    }
  }

  /** Releases loaded allocations that nothing uses; returns every allocation change not yet drained. */
  purgeUnused(): AllocationChange[] {
    for (const a of this.allocators()) a.purgeUnused();
    return this.drainChanges();
  }

  /** Every allocation held now, as the store persists them. */
  snapshot(): StoredAllocation[] {
    return this.allocators().flatMap((a) => a.entries().map(([key, id]) => ({ kind: a.kind, key, id })));
  }

  highWater(): Record<HighWaterKind, number> {
    return {
      identity: this.identityAlloc.highWater,
      prefix: this.prefixes.allocator.highWater,
      set: this.setAlloc.highWater,
    };
  }

  /** Allocation changes since the last drain, for the store to persist. */
  drainChanges(): AllocationChange[] {
    return this.allocators().flatMap((a) => a.drainChanges());
  }

  private allocators(): Allocator[] {
    return [this.identityAlloc, this.setAlloc, this.prefixes.allocator, this.namespaceAlloc];
  }

  /**
   * Whether a policy's use of a selector is a peer's: an identity that only its subject gains or
   * loses changes no other set's entries (the identity's own sets are recomputed as new or go).
   */
  private readonly peerUse = (token: string, key: string): boolean => {
    const rec = this.objects.policyOf(token);
    if (!rec || rec.subjectKey !== key) return true;
    return [...rec.ingress, ...rec.egress].some((r) =>
      r.peers.some((p) => p.kind === "selector" && p.key === key),
    );
  };

  /** Acquires the identity and set of a live endpoint's current labels and ports. */
  private assign(rec: EndpointRec, w: Work): void {
    const ep = rec.endpoint;
    const ns = this.objects.namespaces.get(ep.namespace)!;
    const identityKey = identityKeyOf(ep.namespace, ns.labels, ep.labels);
    const { id, created } = this.identityAlloc.acquire(identityKey);
    if (created) {
      if (this.namespaceAlloc.acquire(ep.namespace).created) w.namespaces.add(ep.namespace);
      w.namespaceMap.add(id);
      const info = { id, namespace: ep.namespace, namespaceLabels: ns.labels, labels: ep.labels };
      for (const token of this.selectors.addIdentity(info, this.peerUse)) addTo(w.partialPolicies, token, id);
    }
    addTo(this.identityMembers, id, rec.key);
    w.memberChanged.add(id);
    const namedPorts = ep.ports.filter((p) => p.name !== "").map((p) => `${p.name}/${p.protocol}/${p.port}`);
    const setKey = `${id}|${namedPorts.sort().join(",")}`;
    const set = this.acquireSet(setKey, id, ep, w);
    set.members.add(rec.key);
    this.nodes.addSetRef(set, ep.node);
    setField(rec, "identity", id);
    setField(rec, "identityKey", identityKey);
    setField(rec, "setId", set.id);
    setField(rec, "setKey", setKey);
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
      members: new JournaledSet(),
      nodes: new JournaledMap(),
      entries: new JournaledMap(),
      byRemote: new JournaledMap(),
      ingressPolicyId: 0,
      egressPolicyId: 0,
      setFlags: 0,
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
}
