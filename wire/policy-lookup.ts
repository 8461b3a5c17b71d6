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
  IDENTITY_ANY,
  IDENTITY_HOST,
  IDENTITY_WORLD,
  type IpcacheEntry,
  type NodeState,
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
  | "baseline_denied";

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

  constructor(state: Pick<NodeState, "ipcache" | "policies">) {
    this.ipcache = state.ipcache
      .map((entry) => ({ prefix: mustParseCidr(entry.prefix), entry }))
      .sort((a, b) => b.prefix.prefixLen - a.prefix.prefixLen);
    for (const p of state.policies) {
      const key = bucketKey(p.policySetId, p.direction, p.remoteIdentity, p.tier);
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

  /** The most specific entry for one identity: longest port prefix first, any-protocol last. */
  lookupPolicy(
    policySetId: number,
    direction: Direction,
    identity: number,
    protocol: number,
    port: number,
    tier?: TierName,
  ): PolicyEntry | undefined {
    let best: PolicyEntry | undefined;
    let bestLen = -1;
    for (const e of this.policies.get(bucketKey(policySetId, direction, identity, tier)) ?? []) {
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
  lookupTier(q: PolicyQuery, tier: TierName, identities: number[]): PolicyEntry | undefined {
    let best: PolicyEntry | undefined;
    for (const id of identities) {
      const hit = this.lookupPolicy(q.endpoint.policySetId, q.direction, id, q.protocol, q.port, tier);
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
    // Tier rules always name peers (upstream requires one), so they have no wildcard entries.
    const tierIds = prefixIdentity !== 0 ? [identity, prefixIdentity] : [identity];
    const admin = this.lookupTier(q, "admin", tierIds);
    if (admin && admin.verdict !== "pass") return tierDecision(base, admin);
    if (admin) base.passed = { policyId: admin.policyId, ruleIndex: admin.ruleIndex };
    const isolated = q.direction === "ingress" ? q.endpoint.ingressIsolated : q.endpoint.egressIsolated;
    if (!isolated) {
      const baseline = this.lookupTier(q, "baseline", tierIds);
      if (baseline && baseline.verdict !== "pass") return tierDecision(base, baseline);
      return { ...base, verdict: "allow", reason: "not_isolated", policyId: 0, ruleIndex: 0 };
    }
    const candidates = [identity, ...(prefixIdentity !== 0 ? [prefixIdentity] : []), IDENTITY_ANY];
    for (const id of candidates) {
      const hit = this.lookupPolicy(q.endpoint.policySetId, q.direction, id, q.protocol, q.port);
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

function bucketKey(policySetId: number, direction: Direction, identity: number, tier?: TierName): string {
  return `${policySetId}/${tier ?? "np"}-${direction}/${identity}`;
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
