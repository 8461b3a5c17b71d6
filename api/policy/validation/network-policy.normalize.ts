// Owns the mapping from a schema-valid NetworkPolicy object to the normalized model, with Kubernetes defaulting.

import { canonicalCidr } from "../../../wire/cidr.ts";
import type {
  IPBlock,
  LabelSelector,
  Labels,
  NetworkPolicySpec,
  PolicyPeer,
  PolicyPort,
  PolicyRule,
  PolicyType,
} from "../model.ts";
import type { LabelSelectorInput } from "./labels.schema.ts";
import type { NetworkPolicyInput } from "./network-policy.schema.ts";
import type { PeerInput } from "./peers.schema.ts";
import type { PolicyPortInput } from "./ports.schema.ts";

type SpecInput = NetworkPolicyInput["spec"];

/** A copy with keys in sorted order, so equal maps serialise identically. */
export function sortedRecord(record: Record<string, string> | null | undefined): Labels {
  return Object.fromEntries(Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function normalizeSelector(selector: LabelSelectorInput): LabelSelector {
  return {
    matchLabels: sortedRecord(selector.matchLabels),
    matchExpressions: (selector.matchExpressions ?? []).map((requirement) => ({
      key: requirement.key,
      operator: requirement.operator,
      values: [...(requirement.values ?? [])],
    })),
  };
}

/** Only called on validated text, so the CIDR always parses. */
function canonical(text: string): string {
  return canonicalCidr(text) ?? text;
}

function normalizeIpBlock(block: NonNullable<PeerInput["ipBlock"]>): IPBlock {
  return { cidr: canonical(block.cidr), except: (block.except ?? []).map(canonical) };
}

/** Absent selectors stay absent (select nothing by that dimension); `{}` stays an empty selector. */
function normalizePeer(peer: PeerInput): PolicyPeer {
  const out: PolicyPeer = {};
  if (peer.podSelector) out.podSelector = normalizeSelector(peer.podSelector);
  if (peer.namespaceSelector) out.namespaceSelector = normalizeSelector(peer.namespaceSelector);
  if (peer.ipBlock) out.ipBlock = normalizeIpBlock(peer.ipBlock);
  return out;
}

function normalizePort(port: PolicyPortInput): PolicyPort {
  const out: PolicyPort = { protocol: port.protocol ?? "TCP" };
  if (port.port !== undefined && port.port !== null) out.port = port.port;
  if (port.endPort !== undefined && port.endPort !== null) out.endPort = port.endPort;
  return out;
}

function normalizeRule(
  peers: PeerInput[] | null | undefined,
  ports: PolicyPortInput[] | null | undefined,
): PolicyRule {
  return { peers: (peers ?? []).map(normalizePeer), ports: (ports ?? []).map(normalizePort) };
}

/** Kubernetes defaulting: absent or empty policyTypes means Ingress, plus Egress when egress rules exist. */
export function defaultPolicyTypes(
  given: readonly PolicyType[] | null | undefined,
  egressRules: number,
): PolicyType[] {
  if (given && given.length > 0) return [...given];
  return egressRules > 0 ? ["Ingress", "Egress"] : ["Ingress"];
}

export function normalizeSpec(spec: SpecInput): NetworkPolicySpec {
  const ingress = (spec.ingress ?? []).map((rule) => normalizeRule(rule.from, rule.ports));
  const egress = (spec.egress ?? []).map((rule) => normalizeRule(rule.to, rule.ports));
  return {
    podSelector: normalizeSelector(spec.podSelector),
    policyTypes: defaultPolicyTypes(spec.policyTypes, egress.length),
    ingress,
    egress,
  };
}
