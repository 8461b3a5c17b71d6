// Owns the policy decision over compiled entries in TypeScript: the same steps the BPF programs take
// after a conntrack miss (bpf/prog/policy.bpf.c, bpf/include/tiers.h). The control plane's what-if
// API and the in-memory datapath both use it.
//
// Precedence: ingress from the host passes; then the Admin tier (best-ranked matching entry under
// the peer's identity or its prefix's): accept or deny decide, pass or no match go on; then, if the
// endpoint is isolated, NetworkPolicy (an allow entry, or deny); otherwise the Baseline tier the
// same way, and default allow when it does not decide.

import { mustParseCidr, type Prefix, parseIp, prefixContains } from "./cidr.ts";
import {
  type Direction,
  type EndpointEntry,
  FIRST_LABEL_IDENTITY,
  FIRST_NAMESPACE_IDENTITY,
  IDENTITY_ANY,
  IDENTITY_ANY_POD,
  IDENTITY_HOST,
  IDENTITY_WORLD,
  type IpcacheEntry,
  isNamespaceIdentity,
  type NodeState,
  namespaceMapPrefix,
  type PolicyEntry,
  PROTO,
  portPrefixContains,
  type TierName,
  tierOrder,
} from "./entries.ts";

export type DecisionReason =
  | "host"
  | "not_isolated"
  | "policy_allowed"
  | "policy_denied"
  | "admin_accepted"
  | "admin_denied"
  | "baseline_accepted"
  | "baseline_denied"
  | "audit";

export interface Decision {
  verdict: "allow" | "deny";
  reason: DecisionReason;
  remoteIdentity: number;
  remotePrefixIdentity: number;
  /** The entry that allowed, or the policy that isolates the endpoint for a denial (0 when none). */
  policyId: number;
  ruleIndex: number;
  /** Which identity matched the allowing entry: the peer's, its prefix's, or the wildcard. */
  matchedIdentity?: number;
  /** The tier that decided (admin_*, baseline_* reasons). */
  tier?: TierName;
  /** An Admin `pass` rule that handed the decision on: its policy and rule. */
  passed?: { policyId: number; ruleIndex: number };
  /**
   * Reason `audit` (the packet passes): the deployed policies allowed it for `deployedReason`, and
   * with the policies in audit mode enforced it would be denied for `auditReason`; policyId and
   * ruleIndex name that denial.
   */
  deployedReason?: DecisionReason;
  auditReason?: DecisionReason;
}

export interface PolicyQuery {
  endpoint: EndpointEntry;
  direction: Direction;
  /** Destination for egress, source for ingress. */
  remoteIp: string;
  /** IANA protocol number (6 TCP, 17 UDP, 132 SCTP, 1 ICMP, 58 ICMPv6). */
  protocol: number;
  /** Destination port; 0 for protocols without ports. */
  port: number;
}

/** An index over one node's entries for repeated decisions. */
export class PolicyIndex {
  private readonly ipcache: { prefix: Prefix; entry: IpcacheEntry }[];
  private readonly policies = new Map<string, PolicyEntry[]>();
  /** The namespace map's entries (namespaceMapPrefix keys), by prefix, for the exact look-up. */
  private readonly namespaceMap = new Map<string, number>();

  constructor(state: Pick<NodeState, "ipcache" | "policies">) {
    this.ipcache = state.ipcache
      .map((entry) => ({ prefix: mustParseCidr(entry.prefix), entry }))
      .sort((a, b) => b.prefix.prefixLen - a.prefix.prefixLen);
    for (const { prefix, entry } of this.ipcache) {
      if (prefix.family === 6 && prefix.prefixLen === 128)
        this.namespaceMap.set(entry.prefix, entry.identity);
    }
    for (const p of state.policies) {
      const key = bucketKey(p.policySetId, p.direction, p.remoteIdentity, p.tier, p.audit ?? false);
      const list = this.policies.get(key);
      if (list) list.push(p);
      else this.policies.set(key, [p]);
    }
  }

  /** Longest-prefix ipcache match; `world` with no prefix identity when nothing matches. */
  lookupIpcache(ip: string): { identity: number; prefixIdentity: number } {
    const addr = parseIp(ip);
    if (!addr) throw new TypeError(`not an IP address: ${JSON.stringify(ip)}`);
    const host: Prefix = { family: addr.family, bytes: addr.bytes, prefixLen: addr.bytes.length * 8 };
    for (const { prefix, entry } of this.ipcache) {
      if (prefixContains(prefix, host))
        return { identity: entry.identity, prefixIdentity: entry.prefixIdentity };
    }
    return { identity: IDENTITY_WORLD, prefixIdentity: 0 };
  }

  /**
   * The namespace identity of a label identity, as the datapath finds it (tiers.h
   * pal_namespace_identity): the exact /128 of the namespace map, or a covering prefix (whose
   * identity is never a namespace identity); 0 when there is none.
   */
  lookupNamespace(identity: number): number {
    if (identity < FIRST_LABEL_IDENTITY || identity >= FIRST_NAMESPACE_IDENTITY) return 0;
    const prefix = namespaceMapPrefix(identity);
    const found = this.namespaceMap.get(prefix) ?? this.lookupIpcache(prefix.slice(0, -4)).identity;
    return isNamespaceIdentity(found) ? found : 0;
  }

  /** The most specific entry for one identity: longest port prefix first, any-protocol last. */
  lookupPolicy(
    policySetId: number,
    direction: Direction,
    identity: number,
    protocol: number,
    port: number,
    tier?: TierName,
    audit = false,
  ): PolicyEntry | undefined {
    let best: PolicyEntry | undefined;
    let bestLen = -1;
    for (const e of this.policies.get(bucketKey(policySetId, direction, identity, tier, audit)) ?? []) {
      // Any-protocol entries rank below every protocol entry, as in the trie (shorter prefix).
      const len = e.protocol === PROTO.ANY ? -0.5 : e.protocol === protocol ? e.portPrefixLen : -1;
      if (len < 0 && e.protocol !== PROTO.ANY) continue;
      if (e.protocol !== PROTO.ANY && !portPrefixContains(e.port, e.portPrefixLen, port)) continue;
      if (len > bestLen) {
        best = e;
        bestLen = len;
      }
    }
    return best;
  }

  /**
   * A tier's decision: the best-ranked of the most specific entries under each candidate identity
   * (the map's lookup per identity, then the datapath's comparison of the hits).
   */
  lookupTier(q: PolicyQuery, tier: TierName, identities: number[], audit = false): PolicyEntry | undefined {
    let best: PolicyEntry | undefined;
    for (const id of identities) {
      const hit = this.lookupPolicy(q.endpoint.policySetId, q.direction, id, q.protocol, q.port, tier, audit);
      if (hit && (!best || tierOrder(hit) < tierOrder(best))) best = hit;
    }
    return best;
  }

  decide(q: PolicyQuery): Decision {
    const { identity, prefixIdentity } = this.lookupIpcache(q.remoteIp);
    const base: Pick<Decision, "remoteIdentity" | "remotePrefixIdentity" | "passed"> = {
      remoteIdentity: identity,
      remotePrefixIdentity: prefixIdentity,
    };
    if (q.direction === "ingress" && identity === IDENTITY_HOST) {
      return { ...base, verdict: "allow", reason: "host", policyId: 0, ruleIndex: 0 };
    }
    const deployed = this.decideView(q, base, false);
    const audited = q.direction === "ingress" ? q.endpoint.ingressAudit : q.endpoint.egressAudit;
    if (deployed.verdict !== "allow" || !audited) return deployed;
    // A policy in audit mode affects this direction: would the packet be denied with it enforced?
    const enforced = this.decideView(q, { ...base, passed: undefined }, true);
    if (enforced.verdict === "allow") return deployed;
    const { passed: _, ...rest } = deployed;
    return {
      ...rest,
      reason: "audit",
      policyId: enforced.policyId,
      ruleIndex: enforced.ruleIndex,
      deployedReason: deployed.reason,
      auditReason: enforced.reason,
    };
  }

  /**
   * The verdict with the policies in audit mode enforced (the what-if of switching them to
   * enforce): the audit view where one affects the direction, the deployed decision elsewhere.
   */
  decideEnforced(q: PolicyQuery): "allow" | "deny" {
    const deployed = this.decide(q);
    const audited = q.direction === "ingress" ? q.endpoint.ingressAudit : q.endpoint.egressAudit;
    if (deployed.reason === "host" || !audited) return deployed.verdict;
    if (deployed.reason === "audit") return "deny";
    return this.decideView(
      q,
      { remoteIdentity: deployed.remoteIdentity, remotePrefixIdentity: deployed.remotePrefixIdentity },
      true,
    ).verdict;
  }

  /** The decision of one view: the deployed one, or the audit view (audit-mode policies enforced). */
  private decideView(
    q: PolicyQuery,
    base: Pick<Decision, "remoteIdentity" | "remotePrefixIdentity" | "passed">,
    audit: boolean,
  ): Decision {
    const identity = base.remoteIdentity;
    const prefixIdentity = base.remotePrefixIdentity;
    // Tier rules always name peers (upstream requires one), so they have no wildcard entries; a
    // peer of every pod is one entry under IDENTITY_ANY_POD, which only pod identities match, and a
    // peer of whole namespaces one per namespace, under the pod's namespace identity.
    const tierIds = prefixIdentity !== 0 ? [identity, prefixIdentity] : [identity];
    if (identity >= FIRST_LABEL_IDENTITY && identity < FIRST_NAMESPACE_IDENTITY) {
      tierIds.push(IDENTITY_ANY_POD);
      const ns = this.lookupNamespace(identity);
      if (ns !== 0) tierIds.push(ns);
    }
    // The deployed view looks a tier up only where the endpoint says one applies (as the kernel).
    const ep = q.endpoint;
    const ingress = q.direction === "ingress";
    const hasAdmin = audit || (ingress ? ep.ingressAdmin : ep.egressAdmin) === true;
    const hasBaseline = audit || (ingress ? ep.ingressBaseline : ep.egressBaseline) === true;
    const admin = hasAdmin ? this.lookupTier(q, "admin", tierIds, audit) : undefined;
    if (admin && admin.verdict !== "pass") return tierDecision(base, admin);
    if (admin) base = { ...base, passed: { policyId: admin.policyId, ruleIndex: admin.ruleIndex } };
    const isolated = audit
      ? (q.direction === "ingress" ? ep.ingressIsolatedAll : ep.egressIsolatedAll) === true
      : q.direction === "ingress"
        ? ep.ingressIsolated
        : ep.egressIsolated;
    if (!isolated) {
      const baseline = hasBaseline ? this.lookupTier(q, "baseline", tierIds, audit) : undefined;
      if (baseline && baseline.verdict !== "pass") return tierDecision(base, baseline);
      return { ...base, verdict: "allow", reason: "not_isolated", policyId: 0, ruleIndex: 0 };
    }
    const candidates = [identity, ...(prefixIdentity !== 0 ? [prefixIdentity] : []), IDENTITY_ANY];
    for (const id of candidates) {
      const hit = this.lookupPolicy(
        q.endpoint.policySetId,
        q.direction,
        id,
        q.protocol,
        q.port,
        undefined,
        audit,
      );
      // The audit view's isolation marker (any identity, any protocol) denies what nothing allowed.
      if (hit?.verdict === "deny") {
        return { ...base, verdict: "deny", reason: "policy_denied", policyId: hit.policyId, ruleIndex: 0 };
      }
      if (hit) {
        return {
          ...base,
          verdict: "allow",
          reason: "policy_allowed",
          policyId: hit.policyId,
          ruleIndex: hit.ruleIndex,
          matchedIdentity: id,
        };
      }
    }
    const policyId = q.direction === "ingress" ? q.endpoint.ingressPolicyId : q.endpoint.egressPolicyId;
    return { ...base, verdict: "deny", reason: "policy_denied", policyId, ruleIndex: 0 };
  }
}

function bucketKey(
  policySetId: number,
  direction: Direction,
  identity: number,
  tier: TierName | undefined,
  audit: boolean,
): string {
  return `${policySetId}/${audit ? "audit-" : ""}${tier ?? "np"}-${direction}/${identity}`;
}

function tierDecision(
  base: Pick<Decision, "remoteIdentity" | "remotePrefixIdentity">,
  e: PolicyEntry,
): Decision {
  const accept = e.verdict === "accept";
  const tier = e.tier!;
  return {
    ...base,
    verdict: accept ? "allow" : "deny",
    reason: `${tier}_${accept ? "accepted" : "denied"}`,
    policyId: e.policyId,
    ruleIndex: e.ruleIndex,
    matchedIdentity: e.remoteIdentity,
    tier,
  };
}
