// Owns the incremental policy compiler's order of work: from each batch of changes to the stored
// objects, the per-node map deltas it causes. Pure (no I/O). Every mutation of a batch is journaled
// (journal.ts): a refused batch (EngineError) is rolled back in O(change), leaving the engine as it
// was. Any other error is a bug: the engine is then undefined and must be rebuilt from the store.
import { isDeepStrictEqual } from "node:util";
import {
  DEFAULT_MAP_SIZES,
  type IpcacheEntry,
  type MapSizes,
  type NodeState,
} from "../../../wire/entries.ts";
import type { AllocationChange } from "../allocator.ts";
import type { ClusterNetworkPolicy, Namespace, NetworkPolicy } from "../model.ts";
import {
  Assignments,
  type AssignmentsOptions,
  type HighWaterKind,
  persistedOf,
  type StoredAllocation,
} from "./assignments.ts";
import type { ChangeSet } from "./change-set.ts";
import {
  CLUSTER_POLICY_ID_BASE,
  clusterAsPolicy,
  clusterPolicyKey,
  subjectNamespaces,
} from "./cluster-policies.ts";
import { EngineError } from "./errors.ts";
import { updateIpcache } from "./ipcache.ts";
import { Journal, JournaledMap } from "./journal.ts";
import { addTo } from "./keyed-sets.ts";
import { NamespacePeers, type NamespaceView } from "./namespace-peers.ts";
import { type CompiledState, capacityError, NodeTable } from "./nodes.ts";
import type { Change } from "./object-change.ts";
import { ObjectIndex } from "./objects.ts";
import { compilePolicy, type PolicyUses, releasePolicy } from "./policies.ts";
import { PrefixRegistry } from "./prefixes.ts";
import {
  forEachSubjectSet,
  policyRemotes,
  propagateNamedEgress,
  type RecomputeParts,
  recomputeSets,
} from "./recompute.ts";
import { SelectorCache } from "./selector-cache.ts";
import { drain, type Steps, ticker } from "./steps.ts";
import type { EndpointRec, PolicyRec, PolicySet } from "./types.ts";
import { newWork, type Work } from "./work.ts";

export type { ChangeSet };
export { EngineError, Journal };

export interface ApplyResult {
  changes: ChangeSet;
  allocations: AllocationChange[];
  setsRecomputed: number;
}

export interface ApplyOptions {
  /**
   * Where the batch's undo records go. Default: a journal of apply's own, rolled back when the
   * batch is refused (EngineError). A journal given here is left to the caller, who rolls it back
   * or discards it (e.g. once the store's transaction commits). `null`: nothing is recorded (a
   * first load, whose engine is thrown away if it fails).
   */
  journal?: Journal | null;
}

export interface EngineOptions extends Pick<AssignmentsOptions, "allocations" | "highWater"> {
  mapSizes?: MapSizes;
}

export class PolicyEngine implements CompiledState {
  readonly selectors = new SelectorCache();
  readonly prefixes: PrefixRegistry;
  readonly nodes: NodeTable;
  readonly ipcache = new JournaledMap<string, IpcacheEntry>();
  /** The ipcache entries of the namespace map (tiers.h), one per label identity. */
  readonly namespaceMap = new JournaledMap<string, IpcacheEntry>();
  private readonly objects = new ObjectIndex();
  private readonly assignments: Assignments;
  private readonly parts: RecomputeParts;
  readonly namespaces: ReadonlyMap<string, Namespace> = this.objects.namespaces;
  readonly endpoints: ReadonlyMap<string, EndpointRec> = this.objects.endpoints;
  readonly policies: ReadonlyMap<string, PolicyRec> = this.objects.policies;
  readonly sets: ReadonlyMap<number, PolicySet>;

  constructor(opts: EngineOptions = {}) {
    this.prefixes = new PrefixRegistry(persistedOf(opts.allocations, "prefix"), opts.highWater?.prefix);
    this.nodes = new NodeTable(opts.mapSizes ?? DEFAULT_MAP_SIZES);
    const shared = { objects: this.objects, selectors: this.selectors, prefixes: this.prefixes };
    const loaded = { allocations: opts.allocations, highWater: opts.highWater };
    this.assignments = new Assignments({ ...shared, ...loaded, nodes: this.nodes });
    this.sets = this.assignments.sets;
    const namespacePeers = new NamespacePeers(() => this.namespaceViews());
    this.parts = {
      ...shared,
      namespacePeers,
      assignments: this.assignments,
      maxSetEntries: this.nodes.sizes.policies,
    };
  }

  private *namespaceViews(): Iterable<[string, NamespaceView]> {
    for (const [name, ns] of this.objects.namespaces) yield [name, this.namespaceView(name, ns)];
  }

  private namespaceView(name: string, ns: Namespace): NamespaceView {
    return { labels: ns.labels, identity: this.assignments.namespaceIdentity(name) };
  }

  /** Namespace peers follow the namespaces whose labels or identity this batch changed. */
  private refreshNamespacePeers(w: Work): void {
    for (const name of w.namespaces) {
      const ns = this.objects.namespaces.get(name);
      const view = ns && this.namespaceView(name, ns);
      this.parts.namespacePeers.refresh(name, view, (token, id) => addTo(w.partialPolicies, token, id));
    }
  }

  /** Releases loaded allocations that nothing uses (call once after the first, full apply). */
  purgeUnusedAllocations(): AllocationChange[] {
    return this.assignments.purgeUnused();
  }

  /** Every allocation held now, as the store persists them. */
  allocationsSnapshot(): StoredAllocation[] {
    return this.assignments.snapshot();
  }

  highWater(): Record<HighWaterKind, number> {
    return this.assignments.highWater();
  }

  apply(changes: Change[], { journal }: ApplyOptions = {}): ApplyResult {
    if (journal === null) return drain(this.applySteps(changes));
    if (journal) return journal.record(() => drain(this.applySteps(changes)));
    const own = new Journal();
    try {
      return own.record(() => drain(this.applySteps(changes)));
    } catch (err) {
      if (err instanceof EngineError) own.rollback();
      throw err;
    }
  }

  /**
   * apply() in steps (steps.ts), for a caller that lets the event loop run between them: run each
   * next() with the batch's journal recording (`journal.record(() => steps.next())`), and let
   * nothing else read or change the engine until the steps are done, or rolled back after a throw.
   */
  *applySteps(changes: Change[]): Steps<ApplyResult> {
    const w = newWork();
    for (const c of changes) {
      yield* this.applyOne(c, w);
      yield;
    }
    // Every registered prefix is an ipcache entry on every node: refuse before building sets.
    if (this.prefixes.size > this.nodes.sizes.ipcache) {
      throw capacityError("ipcache", "every node", this.prefixes.size, this.nodes.sizes.ipcache);
    }
    const step = ticker(64);
    for (const key of w.touched) {
      this.assignments.reassign(key, w);
      if (step()) yield;
    }
    this.refreshNamespacePeers(w);
    propagateNamedEgress(this.parts, w);
    const setsRecomputed = yield* recomputeSets(this.parts, w);
    const ipcache = yield* updateIpcache(
      {
        ...this.parts,
        ipcache: this.ipcache,
        namespaceMap: this.namespaceMap,
        namespaceOf: (identity) => {
          const info = this.selectors.identities.get(identity);
          return info && this.assignments.namespaceIdentity(info.namespace);
        },
      },
      w,
    );
    yield;
    const changeSet = yield* this.nodes.update(this, w, ipcache);
    return { changes: changeSet, allocations: this.assignments.drainChanges(), setsRecomputed };
  }

  /** The endpoint that owns an interface on a node. */
  endpointAt(node: string, iface: string): EndpointRec | undefined {
    return this.objects.endpointAt(node, iface);
  }

  /** The endpoint that owns an address. */
  endpointByIp(ip: string): EndpointRec | undefined {
    return this.objects.endpointByIp(ip);
  }

  /** The whole desired state of one node (a snapshot). */
  nodeState(node: string): NodeState {
    return this.nodes.snapshot(node, this);
  }

  private *applyOne(c: Change, w: Work): Steps<void> {
    switch (c.kind) {
      case "namespace":
        if (c.op === "upsert") this.objects.upsertNamespace(c.value, w);
        else this.objects.deleteNamespace(c.name);
        w.namespaces.add(c.op === "upsert" ? c.value.name : c.name);
        return;
      case "endpoint":
        if (c.op === "upsert") this.objects.upsertEndpoint(c.id, c.value, w);
        else this.objects.deleteEndpoint(`${c.namespace}/${c.name}`, w);
        return;
      case "policy":
        if (c.op === "upsert") yield* this.upsertPolicy(c.id, c.value, w);
        else yield* this.deletePolicy(`${c.namespace}/${c.name}`, w);
        return;
      case "clusterpolicy":
        if (c.op === "upsert") yield* this.upsertClusterPolicy(c.id, c.value, w);
        else yield* this.deletePolicy(clusterPolicyKey(c.name), w);
        return;
    }
  }

  private *upsertPolicy(id: number, policy: NetworkPolicy, w: Work): Steps<void> {
    this.objects.requireNamespace(policy.namespace);
    const key = `${policy.namespace}/${policy.name}`;
    // A rewrite of the very same object (a GitOps tool re-applying what it applied) changes no
    // entry: nothing to compile, however large the policy.
    const held = this.objects.policies.get(key);
    if (held && held.id === id && isDeepStrictEqual(held.policy, policy)) return;
    const token = this.objects.newPolicyToken(key);
    // Compiled before the old record goes, so selectors and prefixes both use are kept, not rebuilt.
    const rec = yield* compilePolicy({ key, token, id, policy }, this.policyUses(w));
    yield* this.deletePolicy(key, w);
    this.objects.addPolicy(rec);
    w.dirtyPolicies.add(token);
  }

  /**
   * A cluster policy is a policy record in the cluster scope, with its tier info beside it. Its
   * subjects recompute only the remotes it names, before and after (set-views.ts computes every
   * policy's entries for those remotes, so precedence among the tier entries stays whole); a set
   * whose flags this moves recomputes in full (recompute.ts).
   */
  private *upsertClusterPolicy(rowId: number, cnp: ClusterNetworkPolicy, w: Work): Steps<void> {
    const key = clusterPolicyKey(cnp.name);
    const held = this.objects.policies.get(key);
    if (held?.cluster?.rowId === rowId && isDeepStrictEqual(held.cluster.object, cnp)) return;
    const token = this.objects.newPolicyToken(key);
    const { policy, info } = clusterAsPolicy(cnp, rowId);
    const id = CLUSTER_POLICY_ID_BASE + rowId;
    const rec = yield* compilePolicy({ key, token, id, policy }, this.policyUses(w), {
      subjectNamespaces: subjectNamespaces(cnp),
      info,
    });
    const remotes = (yield* this.deletePolicy(key, w)) ?? new Set<number>();
    this.objects.addPolicy(rec);
    for (const id of policyRemotes(this.parts, rec)) remotes.add(id);
    // Even with no remote, every subject is visited: its tier flags follow the policies selecting it.
    w.tierPolicies.set(token, remotes);
  }

  /** Removes a policy; for a cluster policy, returns the remotes it named (its subjects redo them). */
  private *deletePolicy(key: string, w: Work): Steps<Set<number> | undefined> {
    const rec = this.objects.removePolicy(key);
    if (!rec) return undefined;
    // Named egress ports may key entries by per-address prefixes its peers do not name: in full.
    if (rec.cluster && rec.namedEgress === "none" && !w.dirtyPolicies.has(rec.token)) {
      const remotes = policyRemotes(this.parts, rec);
      // With what it was to redo already: identities its peers gained or lost earlier in the batch.
      for (const id of w.tierPolicies.get(rec.token) ?? []) remotes.add(id);
      for (const id of w.partialPolicies.get(rec.token) ?? []) remotes.add(id);
      w.tierPolicies.delete(rec.token);
      w.partialPolicies.delete(rec.token);
      forEachSubjectSet(this.parts, rec, (setId) => addAll(w.tierSets, setId, remotes));
      yield* releasePolicy(rec, this.policyUses(w));
      return remotes;
    }
    // Its subjects lose its rules: recompute them.
    forEachSubjectSet(this.parts, rec, (setId) => w.dirtySets.add(setId));
    yield* releasePolicy(rec, this.policyUses(w));
    return undefined;
  }

  private policyUses(w: Work): PolicyUses {
    return {
      selectors: this.selectors,
      namespacePeers: this.parts.namespacePeers,
      prefixes: this.prefixes,
      affected: w.dirtyPolicies,
      maxSetEntries: this.parts.maxSetEntries,
    };
  }
}

/** Adds `ids` to the set at `key` (made empty when missing: a set visited for no remote still is). */
function addAll(map: Map<number, Set<number>>, key: number, ids: Iterable<number>): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  for (const id of ids) set.add(id);
}
