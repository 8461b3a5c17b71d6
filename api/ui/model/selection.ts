// Owns what the console says about selection (pure over the compiled objects): which policies select
// an endpoint, which endpoints a policy selects, and what each of its rules' peers and ports are.

import type { EndpointRec, PolicyRec } from "../../policy/compiler/types.ts";
import type {
  Endpoint,
  LabelSelector,
  Namespace,
  NetworkPolicy,
  PolicyPeer,
  PolicyPort,
  PolicyRule,
} from "../../policy/model.ts";
import { selectorMatches } from "../../policy/selectors.ts";

export interface Objects {
  namespaces: ReadonlyMap<string, Namespace>;
  endpoints: ReadonlyMap<string, EndpointRec>;
  policies: ReadonlyMap<string, PolicyRec>;
}

/** As in Kubernetes: a policy selects the pods of its own namespace that its podSelector matches. */
export function policySelects(policy: NetworkPolicy, endpoint: Endpoint): boolean {
  return endpoint.namespace === policy.namespace && selectorMatches(policy.spec.podSelector, endpoint.labels);
}

export function policiesSelecting(objects: Objects, endpoint: Endpoint): NetworkPolicy[] {
  return [...objects.policies.values()]
    .map((p) => p.policy)
    .filter((p) => policySelects(p, endpoint))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function endpointsIn(objects: Objects, namespace: string): Endpoint[] {
  return [...objects.endpoints.values()]
    .map((r) => r.endpoint)
    .filter((e) => e.namespace === namespace)
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function endpointsSelectedBy(objects: Objects, policy: NetworkPolicy): Endpoint[] {
  return endpointsIn(objects, policy.namespace).filter((e) => policySelects(policy, e));
}

export interface PeerView {
  /** What the peer says, e.g. `pods app=web in namespaces team=a` or `10.0.0.0/8 except 10.1.0.0/16`. */
  text: string;
  /** The endpoints a selector peer matches now (empty for ipBlock peers). */
  endpoints: { namespace: string; name: string }[];
}

export interface RuleView {
  direction: "ingress" | "egress";
  index: number;
  /** Empty = every peer. */
  peers: PeerView[];
  /** Empty = every port and protocol. */
  ports: string[];
}

export function rulesOf(objects: Objects, policy: NetworkPolicy): RuleView[] {
  const view = (direction: RuleView["direction"]) => (rule: PolicyRule, index: number) => ({
    direction,
    index,
    peers: rule.peers.map((p) => peerView(objects, policy.namespace, p)),
    ports: rule.ports.map(portText),
  });
  return [...policy.spec.ingress.map(view("ingress")), ...policy.spec.egress.map(view("egress"))];
}

function peerView(objects: Objects, namespace: string, peer: PolicyPeer): PeerView {
  if (peer.ipBlock) {
    const except = peer.ipBlock.except.length > 0 ? ` except ${peer.ipBlock.except.join(", ")}` : "";
    return { text: `ipBlock ${peer.ipBlock.cidr}${except}`, endpoints: [] };
  }
  // An absent namespaceSelector means the policy's own namespace; an absent podSelector, every pod.
  const namespaces = peer.namespaceSelector
    ? [...objects.namespaces.values()].filter((n) => selectorMatches(peer.namespaceSelector!, n.labels))
    : [...objects.namespaces.values()].filter((n) => n.name === namespace);
  const names = new Set(namespaces.map((n) => n.name));
  const endpoints = [...objects.endpoints.values()]
    .map((r) => r.endpoint)
    .filter(
      (e) => names.has(e.namespace) && (!peer.podSelector || selectorMatches(peer.podSelector, e.labels)),
    )
    .map((e) => ({ namespace: e.namespace, name: e.name }))
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  const pods = peer.podSelector ? `pods ${selectorText(peer.podSelector)}` : "every pod";
  const where = peer.namespaceSelector
    ? `in namespaces ${selectorText(peer.namespaceSelector)}`
    : `in namespace ${namespace}`;
  return { text: `${pods} ${where}`, endpoints };
}

export function selectorText(s: LabelSelector): string {
  const parts = [
    ...Object.entries(s.matchLabels).map(([k, v]) => `${k}=${v}`),
    ...s.matchExpressions.map((e) =>
      e.operator === "Exists" || e.operator === "DoesNotExist"
        ? `${e.key} ${e.operator}`
        : `${e.key} ${e.operator} (${e.values.join(", ")})`,
    ),
  ];
  return parts.length === 0 ? "{} (all)" : parts.join(", ");
}

export function portText(p: PolicyPort): string {
  if (p.port === undefined) return `${p.protocol} (every port)`;
  if (p.endPort !== undefined) return `${p.protocol} ${p.port}-${p.endPort}`;
  return `${p.protocol} ${p.port}`;
}
