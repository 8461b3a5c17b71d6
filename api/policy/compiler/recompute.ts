// Owns the dirty-set fix point of one apply: from the policies and sets a batch dirtied, recompute
// policy sets (fully, or for some remote identities only) until no newly held prefix dirties more.
import { hostPrefix, mustParseCidr } from "../../../wire/cidr.ts";
import { IDENTITY_ANY, IDENTITY_ANY_POD, type PolicyEntry } from "../../../wire/entries.ts";
import type { Assignments } from "./assignments.ts";
import { CLUSTER_SCOPE } from "./cluster-policies.ts";
import { setField } from "./journal.ts";
import type { NamespacePeers } from "./namespace-peers.ts";
import { capacityError } from "./nodes.ts";
import type { ObjectIndex } from "./objects.ts";
import { policyUsesIdentity } from "./policies.ts";
import type { PrefixRegistry } from "./prefixes.ts";
import type { SelectorCache } from "./selector-cache.ts";
import { beginChange, replaceAll, replaceRemotes } from "./set-changes.ts";
import type { SetContext } from "./set-entries.ts";
import { computeSetEntries } from "./set-views.ts";
import type { Steps } from "./steps.ts";
import type { EndpointRec, PolicyRec } from "./types.ts";
import type { Work } from "./work.ts";

/** The compiled state a recompute reads and updates. */
export interface RecomputeParts {
  objects: ObjectIndex;
  assignments: Assignments;
  selectors: SelectorCache;
  namespacePeers: NamespacePeers;
  prefixes: PrefixRegistry;
  /** The policy map's size: the most entries one set may hold. */
  maxSetEntries: number;
}

/** Visits the ids of the sets whose identity the policy's podSelector selects. */
export function forEachSubjectSet(
  parts: RecomputeParts,
  rec: PolicyRec,
  visit: (setId: number) => void,
): void {
  for (const identity of parts.selectors.selected(rec.subjectKey)) {
    for (const setId of parts.assignments.setsOf(identity)) visit(setId);
  }
}

/**
 * Every remote identity the policy's rules name now: what its entries in a set can be keyed by
 * (named egress ports aside: a set they concern recomputes in full).
 */
export function policyRemotes(parts: RecomputeParts, rec: PolicyRec): Set<number> {
  const out = new Set<number>();
  for (const rule of [...rec.ingress, ...rec.egress]) {
    if (rule.peers.length === 0) out.add(IDENTITY_ANY);
    for (const peer of rule.peers) {
      const ids =
        peer.kind === "selector"
          ? parts.selectors.selected(peer.key)
          : peer.kind === "block"
            ? parts.prefixes.selected(peer.key)
            : peer.kind === "namespaces"
              ? parts.namespacePeers.selected(peer.key)
              : [IDENTITY_ANY_POD];
      for (const id of ids) out.add(id);
    }
  }
  return out;
}

/** Policies whose egress named ports resolve against endpoints that changed must recompute. */
export function propagateNamedEgress(parts: RecomputeParts, w: Work): void {
  if (w.memberChanged.size === 0) return;
  for (const rec of parts.objects.policies.values()) {
    if (rec.namedEgress === "none") continue;
    if (
      rec.namedEgress === "all" ||
      [...w.memberChanged].some((id) => policyUsesIdentity(rec, id, parts.selectors))
    ) {
      w.dirtyPolicies.add(rec.token);
    }
  }
}

/** Recomputes dirty sets until nothing is dirty, a set per step; returns how many recomputes ran. */
export function* recomputeSets(parts: RecomputeParts, w: Work): Steps<number> {
  let count = 0;
  const ctx = setContext(parts);
  while (
    w.dirtySets.size > 0 ||
    w.dirtyPolicies.size > 0 ||
    w.partialPolicies.size > 0 ||
    w.tierPolicies.size > 0 ||
    w.tierSets.size > 0
  ) {
    ctx.newRound();
    yield* selectBlocks(parts, w.dirtyPolicies);
    count += yield* recomputePartial(parts, w, ctx, expandDirtyPolicies(parts, w));
    const batch = [...w.dirtySets];
    w.dirtySets.clear();
    for (const setId of batch) {
      if (yield* recomputeFull(parts, w, ctx, setId)) count++;
      yield;
    }
  }
  return count;
}

/**
 * What each ipBlock rule of the dirty policies selects, in steps, before any set needs it: one
 * trie walk per rule (cached), which for a rule of many excepts would otherwise run at once inside
 * the first set's recompute.
 */
function* selectBlocks(parts: RecomputeParts, tokens: Iterable<string>): Steps<void> {
  for (const token of tokens) {
    const rec = parts.objects.policyOf(token);
    if (!rec) continue;
    for (const rule of [...rec.ingress, ...rec.egress]) {
      const blockKeys = rule.peers.flatMap((p) => (p.kind === "block" ? [p.key] : []));
      if (blockKeys.length === 0) continue;
      yield* parts.prefixes.selectedByAnySteps(rule.peers, blockKeys);
    }
  }
}

/** Remotes to redo in one set: in every part of it, or (`tiersOnly`) in its tier entries only. */
interface Redo {
  remotes: Set<number>;
  tiersOnly: boolean;
}

/** Turns dirty policies into dirty sets, and partial and tier policies into the sets' remotes to redo. */
function expandDirtyPolicies(parts: RecomputeParts, w: Work): Map<number, Redo> {
  const subjectSets = (token: string, visit: (setId: number) => void) => {
    const rec = parts.objects.policyOf(token);
    if (rec) forEachSubjectSet(parts, rec, visit);
  };
  for (const token of w.dirtyPolicies) subjectSets(token, (setId) => w.dirtySets.add(setId));
  const out = new Map<number, Redo>();
  // A set is visited even for no remote: its flags are checked (recomputePartial). A set some
  // NetworkPolicy or label-selector peer needs redone redoes those remotes in every part.
  const redo = (setId: number, ids: Iterable<number>, tiersOnly: boolean) => {
    let r = out.get(setId);
    if (!r) out.set(setId, (r = { remotes: new Set(), tiersOnly }));
    r.tiersOnly &&= tiersOnly;
    for (const id of ids) r.remotes.add(id);
  };
  for (const [token, ids] of w.partialPolicies) subjectSets(token, (setId) => redo(setId, ids, false));
  for (const [token, ids] of w.tierPolicies) subjectSets(token, (setId) => redo(setId, ids, true));
  for (const [setId, ids] of w.tierSets) redo(setId, ids, true);
  w.dirtyPolicies.clear();
  w.partialPolicies.clear();
  w.tierPolicies.clear();
  w.tierSets.clear();
  return out;
}

/** Redoes only the entries of the given remotes, unless the set is dirty anyway or cannot be. */
function* recomputePartial(
  parts: RecomputeParts,
  w: Work,
  ctx: SetContext,
  partial: Map<number, Redo>,
): Steps<number> {
  let count = 0;
  for (const [setId, { remotes, tiersOnly }] of partial) {
    yield;
    const set = parts.assignments.sets.get(setId);
    if (!set || w.dirtySets.has(setId)) continue;
    // Named egress ports resolve per destination endpoint: only a full recompute gets them right.
    const selecting = [...ctx.policiesSelecting(set.identity), ...ctx.clusterPoliciesSelecting(set.identity)];
    if (selecting.some((p) => p.namedEgress !== "none")) {
      w.dirtySets.add(setId);
      continue;
    }
    const result = yield* computeSetEntries(set, ctx, remotes, tiersOnly);
    // What the whole set says (isolation, tiers, audit views) must not have moved: a cluster policy
    // that starts or stops selecting it, or switches mode, may change that; recompute it in full.
    if (
      result.setFlags !== set.setFlags ||
      result.ingressPolicyId !== set.ingressPolicyId ||
      result.egressPolicyId !== set.egressPolicyId
    ) {
      w.dirtySets.add(setId);
      continue;
    }
    const inScope = tiersOnly ? (e: PolicyEntry) => e.tier !== undefined : undefined;
    replaceRemotes(set, remotes, result.entries, beginChange(w.setChanges, set), inScope);
    count++;
  }
  return count;
}

/** Recomputes one set in full; prefixes it newly holds or lets go dirty the policies they affect. */
function* recomputeFull(parts: RecomputeParts, w: Work, ctx: SetContext, setId: number): Steps<boolean> {
  const set = parts.assignments.sets.get(setId);
  if (!set) return false;
  const change = beginChange(w.setChanges, set);
  const affected = new Set<string>();
  const held: string[] = [];
  ctx.hostPrefixId = (ip: string) => {
    const cidr = hostPrefix(ip)!;
    held.push(cidr);
    return parts.prefixes.acquire(cidr, affected);
  };
  const result = yield* computeSetEntries(set, ctx);
  for (const cidr of set.hostPrefixes) parts.prefixes.release(cidr, affected);
  setField(set, "hostPrefixes", held);
  yield* replaceAll(set, result.entries, change);
  setField(set, "ingressPolicyId", result.ingressPolicyId);
  setField(set, "egressPolicyId", result.egressPolicyId);
  setField(set, "setFlags", result.setFlags);
  for (const token of affected) w.dirtyPolicies.add(token);
  return true;
}

function setContext(parts: RecomputeParts): SetContext & { newRound(): void } {
  const { objects, assignments, selectors, namespacePeers, prefixes } = parts;
  let clusters: PolicyRec[] | undefined;
  const selecting = new Map<number, PolicyRec[]>();
  const clusterSelecting = new Map<number, PolicyRec[]>();
  // Remotes each policy names, kept for one round of the fix point (a full recompute may take
  // host prefixes, which can move what an ipBlock selects).
  let named = new Map<string, Set<number>>();
  return {
    newRound: () => {
      named = new Map();
    },
    namesAny: (rec, remotes) => {
      let mine = named.get(rec.token);
      if (!mine) named.set(rec.token, (mine = policyRemotes(parts, rec)));
      const [small, large] = mine.size < remotes.size ? [mine, remotes] : [remotes, mine];
      for (const id of small) if (large.has(id)) return true;
      return false;
    },
    // Policies and subjects do not change during a recompute: who selects an identity is found
    // once per recompute, not once per set and view.
    policiesSelecting: (identity) =>
      memo(selecting, identity, () => {
        const info = selectors.identities.get(identity);
        if (!info) return [];
        const out: PolicyRec[] = [];
        for (const key of objects.policyKeysIn(info.namespace)) {
          const rec = objects.policies.get(key)!;
          if (selectors.selected(rec.subjectKey).has(identity)) out.push(rec);
        }
        return out.sort((a, b) => a.id - b.id);
      }),
    clusterPoliciesSelecting: (identity) =>
      memo(clusterSelecting, identity, () => {
        clusters ??= [...objects.policyKeysIn(CLUSTER_SCOPE)]
          .map((key) => objects.policies.get(key)!)
          .sort((a, b) => a.cluster!.priority - b.cluster!.priority || a.id - b.id);
        return clusters.filter((rec) => selectors.selected(rec.subjectKey).has(identity));
      }),
    peerIdentities: (peer) =>
      peer.kind === "selector"
        ? selectors.selected(peer.key)
        : peer.kind === "block"
          ? prefixes.selected(peer.key)
          : peer.kind === "namespaces"
            ? namespacePeers.selected(peer.key)
            : new Set(selectors.identities.keys()),
    blockIdentities: (owner, blockKeys) => prefixes.selectedByAny(owner, blockKeys),
    allIdentities: () => selectors.identities.keys(),
    members: (identity) => assignments.membersOf(identity),
    endpointsInBlock: (blockKey) => {
      const out: [EndpointRec, string][] = [];
      for (const [cidr, key] of objects.addressOwners) {
        const rec = objects.endpoints.get(key)!;
        const ip = rec.endpoint.ips.find((a) => hostPrefix(a) === cidr)!;
        if (prefixes.blockContains(blockKey, mustParseCidr(cidr))) out.push([rec, ip]);
      }
      return out;
    },
    hostPrefixId: () => {
      throw new Error("hostPrefixId used outside a set recompute");
    },
    maxEntries: parts.maxSetEntries,
    refuse: (setId, needed) => {
      const node = assignments.sets.get(setId)?.nodes.keys().next().value;
      throw capacityError(
        "policies",
        node === undefined ? "every node" : `node ${node}`,
        needed,
        parts.maxSetEntries,
      );
    },
  };
}

function memo<K, V>(cache: Map<K, V>, key: K, compute: () => V): V {
  let v = cache.get(key);
  if (v === undefined) cache.set(key, (v = compute()));
  return v;
}
