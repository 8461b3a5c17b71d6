// Owns a policy's compiled form: the cached selectors and ipBlocks its subject and peers use.
import { type IPBlock, isAudit, type LabelSelector, type NetworkPolicy, type PolicyRule } from "../model.ts";
import type { ClusterInfo } from "./cluster-policies.ts";
import type { NamespacePeers } from "./namespace-peers.ts";
import { capacityError } from "./nodes.ts";
import type { PrefixRegistry } from "./prefixes.ts";
import { cannotExceed, policyEntriesLowerBound } from "./rule-bound.ts";
import type { SelectorCache } from "./selector-cache.ts";
import { type Steps, ticker } from "./steps.ts";
import type { CompiledRule, PeerRef, PolicyRec } from "./types.ts";

/** Prefixes taken or given back between two checkpoints (steps.ts). */
const PREFIXES_PER_STEP = 256;
/** ipBlocks cached between two checkpoints (each indexes its excepts). */
const BLOCKS_PER_STEP = 8;

/** The caches a compiled policy holds uses in. */
export interface PolicyUses {
  selectors: SelectorCache;
  namespacePeers: NamespacePeers;
  prefixes: PrefixRegistry;
  /** Receives the users (policy tokens) of ipBlocks that a prefix taken or given back changes. */
  affected: Set<string>;
  /** The most entries one policy set may hold (a policy whose rule alone needs more is refused). */
  maxSetEntries: number;
}

/** What a cluster policy adds to compilePolicy's input: its subject's namespaces and its info. */
export interface ClusterPart {
  subjectNamespaces: LabelSelector;
  info: ClusterInfo;
}

/** Builds a policy record, taking uses of its selectors, ipBlocks and prefixes; in steps. */
export function* compilePolicy(
  { key, token, id, policy }: Pick<PolicyRec, "key" | "token" | "id" | "policy">,
  { selectors, namespacePeers, prefixes, affected, maxSetEntries }: PolicyUses,
  cluster?: ClusterPart,
): Steps<PolicyRec> {
  const subjectNs = cluster?.subjectNamespaces;
  refuseIfTooLarge(policy, token, selectors, maxSetEntries, subjectNs);
  const subjectKey = selectors.use(policy.namespace, subjectNs, policy.spec.podSelector, token);
  // Every prefix first, then the blocks: a new prefix then only visits the blocks of other
  // policies (whose users it affects), never this policy's own, which may be many.
  const prefixStep = ticker(PREFIXES_PER_STEP);
  for (const rule of [...policy.spec.ingress, ...policy.spec.egress]) {
    for (const peer of rule.peers) {
      if (!peer.ipBlock) continue;
      for (const cidr of blockPrefixes(peer.ipBlock)) {
        prefixes.acquire(cidr, affected);
        if (prefixStep()) yield;
      }
    }
  }
  const blockStep = ticker(BLOCKS_PER_STEP);
  // A cluster peer of whole namespaces is one entry per namespace, except in an egress rule with
  // named ports: those resolve per destination endpoint, so its peers expand per identity.
  const compilePeer = (peer: PolicyRule["peers"][number], perIdentity: boolean): PeerRef => {
    if (peer.ipBlock) return { kind: "block", key: prefixes.useBlock(peer.ipBlock, token) };
    if (cluster && selectsEverything(peer.namespaceSelector) && selectsEverything(peer.podSelector)) {
      return { kind: "allPods", key: "" };
    }
    if (cluster && !perIdentity && peer.namespaceSelector && selectsEverything(peer.podSelector)) {
      return { kind: "namespaces", key: namespacePeers.use(peer.namespaceSelector, token) };
    }
    return {
      kind: "selector",
      key: selectors.use(policy.namespace, peer.namespaceSelector, peer.podSelector, token),
    };
  };
  function* compileRules(rules: PolicyRule[], egress: boolean): Steps<CompiledRule[]> {
    const out: CompiledRule[] = [];
    for (const rule of rules) {
      const perIdentity = egress && rule.ports.some((p) => typeof p.port === "string");
      const peers: PeerRef[] = [];
      for (const peer of rule.peers) {
        peers.push(compilePeer(peer, perIdentity));
        if (peer.ipBlock && blockStep()) yield;
      }
      out.push({ peers, ports: rule.ports });
    }
    return out;
  }
  // Egress first, as always: the order in which selectors and blocks are first used.
  const egress = yield* compileRules(policy.spec.egress, true);
  const ingress = yield* compileRules(policy.spec.ingress, false);
  const named = egress.filter((r) => r.ports.some((p) => typeof p.port === "string"));
  const namedEgress =
    named.length === 0
      ? "none"
      : named.some((r) => r.peers.length === 0 || r.peers.some((p) => p.kind !== "selector"))
        ? "all"
        : "selectors";
  const rec: PolicyRec = {
    key,
    token,
    id,
    policy,
    subjectKey,
    ingress,
    egress,
    namedEgress,
    audit: isAudit(policy.annotations),
  };
  if (cluster) rec.cluster = cluster.info;
  return rec;
}

/** Gives back everything compilePolicy took; in steps. */
export function* releasePolicy(
  rec: PolicyRec,
  { selectors, namespacePeers, prefixes, affected }: PolicyUses,
): Steps<void> {
  selectors.unuse(rec.subjectKey, rec.token);
  const rules = [...rec.ingress, ...rec.egress];
  for (const rule of rules) {
    for (const peer of rule.peers) {
      if (peer.kind === "selector") selectors.unuse(peer.key, rec.token);
      else if (peer.kind === "block") prefixes.unuseBlock(peer.key, rec.token);
      else if (peer.kind === "namespaces") namespacePeers.unuse(peer.key, rec.token);
    }
  }
  const step = ticker(PREFIXES_PER_STEP);
  for (const rule of [...rec.policy.spec.ingress, ...rec.policy.spec.egress]) {
    for (const peer of rule.peers) {
      if (!peer.ipBlock) continue;
      for (const cidr of blockPrefixes(peer.ipBlock)) {
        prefixes.release(cidr, affected);
        if (step()) yield;
      }
    }
  }
}

/** True when an egress rule with named ports selects `identity` through one of its selector peers. */
export function policyUsesIdentity(rec: PolicyRec, identity: number, selectors: SelectorCache): boolean {
  return rec.egress.some(
    (rule) =>
      rule.ports.some((p) => typeof p.port === "string") &&
      rule.peers.some((peer) => peer.kind === "selector" && selectors.selected(peer.key).has(identity)),
  );
}

function selectsEverything(s: LabelSelector | undefined): boolean {
  return s !== undefined && Object.keys(s.matchLabels).length === 0 && s.matchExpressions.length === 0;
}

function blockPrefixes(block: IPBlock): string[] {
  return [block.cidr, ...block.except];
}

/**
 * Refuses, before anything is taken, a policy one of whose rules alone needs more entries than a
 * set may hold, when the policy applies to at least one endpoint (every identity has members, so
 * a set): the bound comes from the policy's text in O(n log n), not from expanding it.
 */
function refuseIfTooLarge(
  policy: NetworkPolicy,
  token: string,
  selectors: SelectorCache,
  max: number,
  subjectNamespaces: LabelSelector | undefined,
): void {
  if (cannotExceed(policy, max)) return;
  const needed = policyEntriesLowerBound(policy, max);
  if (needed <= max) return;
  const key = selectors.use(policy.namespace, subjectNamespaces, policy.spec.podSelector, token);
  const applies = selectors.selected(key).size > 0;
  selectors.unuse(key, token);
  if (applies) throw capacityError("policies", "every node hosting a selected endpoint", needed, max);
}
