// Owns the inverse of validation: the Kubernetes object form of a normalized NetworkPolicy.

import type { LabelSelector, NetworkPolicy, PolicyPeer, PolicyRule } from "../model.ts";
import { NETWORK_POLICY_API_VERSION } from "./network-policy.schema.ts";

export function renderSelector(selector: LabelSelector): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Object.keys(selector.matchLabels).length > 0) out.matchLabels = { ...selector.matchLabels };
  if (selector.matchExpressions.length > 0) {
    out.matchExpressions = selector.matchExpressions.map(({ key, operator, values }) =>
      values.length > 0 ? { key, operator, values: [...values] } : { key, operator },
    );
  }
  return out;
}

function renderPeer(peer: PolicyPeer): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (peer.podSelector) out.podSelector = renderSelector(peer.podSelector);
  if (peer.namespaceSelector) out.namespaceSelector = renderSelector(peer.namespaceSelector);
  if (peer.ipBlock) {
    out.ipBlock =
      peer.ipBlock.except.length > 0
        ? { cidr: peer.ipBlock.cidr, except: [...peer.ipBlock.except] }
        : { cidr: peer.ipBlock.cidr };
  }
  return out;
}

function renderRule(rule: PolicyRule, peersField: "from" | "to"): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (rule.ports.length > 0) out.ports = rule.ports.map((port) => ({ ...port }));
  if (rule.peers.length > 0) out[peersField] = rule.peers.map(renderPeer);
  return out;
}

/** The object a GET answers with; validating it again gives back the same normalized policy. */
export function renderNetworkPolicy(policy: NetworkPolicy): Record<string, unknown> {
  const metadata: Record<string, unknown> = { name: policy.name, namespace: policy.namespace };
  if (Object.keys(policy.labels).length > 0) metadata.labels = { ...policy.labels };
  if (Object.keys(policy.annotations).length > 0) metadata.annotations = { ...policy.annotations };
  const spec: Record<string, unknown> = {
    podSelector: renderSelector(policy.spec.podSelector),
    policyTypes: [...policy.spec.policyTypes],
  };
  if (policy.spec.ingress.length > 0)
    spec.ingress = policy.spec.ingress.map((rule) => renderRule(rule, "from"));
  if (policy.spec.egress.length > 0) spec.egress = policy.spec.egress.map((rule) => renderRule(rule, "to"));
  return { apiVersion: NETWORK_POLICY_API_VERSION, kind: "NetworkPolicy", metadata, spec };
}
