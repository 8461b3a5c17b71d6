// Owns how a ClusterNetworkPolicy enters the compiler: its record key and id space, its subject as a
// cached selector, and its rules in the NetworkPolicy rule shape that set-entries.ts expands
// (peers and ports), with the tier, priority, actions and mode kept beside them.
import type { TierName } from "../../../wire/entries.ts";
import {
  type ClusterNetworkPolicy,
  type ClusterPeer,
  type ClusterProtocol,
  type ClusterRule,
  isAudit,
  type LabelSelector,
  type NetworkPolicy,
  type PolicyPeer,
  type PolicyPort,
  type PolicyRule,
} from "../model.ts";

/**
 * ClusterNetworkPolicy ids are their store row id plus this base, so that an id in an entry, a
 * drop event or a conntrack entry names one object of one kind (NetworkPolicy ids stay below).
 */
export const CLUSTER_POLICY_ID_BASE = 0x4000_0000;

/** The namespace field of a cluster policy's record: no namespace is named "" (DNS labels). */
export const CLUSTER_SCOPE = "";

/** Record key of a cluster policy; `*` cannot start a namespace name, so no NetworkPolicy has it. */
export function clusterPolicyKey(name: string): string {
  return `*cluster/${name}`;
}

export function isClusterPolicyId(id: number): boolean {
  return id >= CLUSTER_POLICY_ID_BASE;
}

export interface ClusterRuleInfo {
  action: "accept" | "deny" | "pass";
  name: string;
}

/** What a compiled cluster policy keeps beside its rules. */
export interface ClusterInfo {
  /** The object as stored, and its store row id (a rebuild compiles it again from these). */
  object: ClusterNetworkPolicy;
  rowId: number;
  name: string;
  tier: TierName;
  priority: number;
  audit: boolean;
  ingress: ClusterRuleInfo[];
  egress: ClusterRuleInfo[];
}

const EVERY_POD: LabelSelector = { matchLabels: {}, matchExpressions: [] };

/** The pods a subject or peer selects, as (namespaceSelector, podSelector) for the selector cache. */
export function selectorPair(s: Exclude<ClusterPeer, { networks: string[] }>): {
  namespaceSelector: LabelSelector;
  podSelector: LabelSelector;
} {
  if ("namespaces" in s) return { namespaceSelector: s.namespaces, podSelector: EVERY_POD };
  return { namespaceSelector: s.pods.namespaceSelector, podSelector: s.pods.podSelector };
}

function peersOf(peer: ClusterPeer): PolicyPeer[] {
  if ("networks" in peer) return peer.networks.map((cidr) => ({ ipBlock: { cidr, except: [] } }));
  return [selectorPair(peer)];
}

/** A named port matches the destination's container port of that name, whatever its protocol. */
function portsOf(p: ClusterProtocol): PolicyPort[] {
  if ("namedPort" in p) {
    return (["TCP", "UDP", "SCTP"] as const).map((protocol) => ({ protocol, port: p.namedPort }));
  }
  return [p.endPort === undefined ? { protocol: p.protocol, port: p.port } : { ...p }];
}

function ruleOf(rule: ClusterRule): PolicyRule {
  return { peers: rule.peers.flatMap(peersOf), ports: rule.protocols.flatMap(portsOf) };
}

/**
 * The cluster policy's rules as a NetworkPolicy the rule expansion reads (no policy types: it never
 * isolates), and what the expansion needs beside them.
 */
export function clusterAsPolicy(
  cnp: ClusterNetworkPolicy,
  rowId: number,
): { policy: NetworkPolicy; info: ClusterInfo } {
  const { podSelector } = selectorPair(cnp.spec.subject);
  const actionOf = (r: ClusterRule): ClusterRuleInfo => ({
    action: r.action === "Accept" ? "accept" : r.action === "Deny" ? "deny" : "pass",
    name: r.name,
  });
  return {
    policy: {
      namespace: CLUSTER_SCOPE,
      name: cnp.name,
      labels: cnp.labels,
      annotations: cnp.annotations,
      spec: {
        podSelector,
        policyTypes: [],
        ingress: cnp.spec.ingress.map(ruleOf),
        egress: cnp.spec.egress.map(ruleOf),
      },
    },
    info: {
      object: cnp,
      rowId,
      name: cnp.name,
      tier: cnp.spec.tier === "Admin" ? "admin" : "baseline",
      priority: cnp.spec.priority,
      audit: isAudit(cnp.annotations),
      ingress: cnp.spec.ingress.map(actionOf),
      egress: cnp.spec.egress.map(actionOf),
    },
  };
}

/** The subject's namespace selector (the pod selector is the policy's podSelector). */
export function subjectNamespaces(cnp: ClusterNetworkPolicy): LabelSelector {
  return selectorPair(cnp.spec.subject).namespaceSelector;
}
