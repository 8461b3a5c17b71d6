// Owns the reference semantics of policy: the decision for one direction of one flow computed
// straight from the objects (namespaces, endpoints, NetworkPolicies, ClusterNetworkPolicies), as
// the Kubernetes and network-policy-api documents state it, with no compiled state. The compiler
// and the datapath are tested against it; it never runs in the product.
//
// Precedence: Admin tier (lowest priority first; within a policy the first matching rule; equal
// priorities: Palisade takes the lower policy id), NetworkPolicy (only for an endpoint some
// NetworkPolicy isolates in the direction), Baseline tier (only when none does), default allow.
// Admin Pass hands the decision to NetworkPolicy; Baseline Pass to the default.
//
// Audit mode (`palisade.dev/mode: audit` on either kind): the decision as deployed leaves those
// policies out; a packet it allows that the decision with them enforced denies is `audit`.
import { parseCidr, parseIp, prefixContains } from "../../../wire/cidr.ts";
import {
  type ClusterNetworkPolicy,
  type ClusterPeer,
  type ClusterProtocol,
  type ClusterRule,
  type Endpoint,
  isAudit,
  type Namespace,
  type NetworkPolicy,
  type PolicyPeer,
  type PolicyPort,
  type Protocol,
} from "../model.ts";
import { selectorMatches } from "../selectors.ts";

export interface World {
  namespaces: Namespace[];
  endpoints: Endpoint[];
  policies: NetworkPolicy[];
  /** With their ids: equal priorities are decided by the lower id. */
  clusterPolicies: { id: number; policy: ClusterNetworkPolicy }[];
}

export type FlowProtocol = Protocol | "ICMP";

export interface DirectionQuery {
  /** The endpoint whose policy is checked. */
  subject: Endpoint;
  direction: "ingress" | "egress";
  /** The other side: an endpoint of the world, or an address outside it. */
  peer: Endpoint | string;
  protocol: FlowProtocol;
  /** Destination port (ignored for ICMP). */
  port: number;
}

export interface ReferenceVerdict {
  verdict: "allow" | "deny";
  by: "admin" | "networkpolicy" | "baseline" | "default";
  /** The deciding policy: `name` for a cluster policy, `namespace/name` for a NetworkPolicy. */
  policy?: string;
  rule?: number;
  action?: "Accept" | "Deny";
  /** The Admin Pass rule that handed the decision on, as `name` and rule. */
  passed?: { policy: string; rule: number };
}

/** The decision as deployed, and whether it is an audit pass (allowed, denied with audit enforced). */
export function decideWithAudit(world: World, q: DirectionQuery): ReferenceVerdict & { audit: boolean } {
  const deployed = decideDirection(deployedWorld(world), q);
  if (deployed.verdict === "deny") return { ...deployed, audit: false };
  const enforced = decideDirection(world, q);
  return { ...deployed, audit: enforced.verdict === "deny" };
}

/** The world without the policies in audit mode. */
export function deployedWorld(world: World): World {
  return {
    ...world,
    policies: world.policies.filter((p) => !isAudit(p.annotations)),
    clusterPolicies: world.clusterPolicies.filter((c) => !isAudit(c.policy.annotations)),
  };
}

/** The decision for one direction, every policy of the world enforced. */
export function decideDirection(world: World, q: DirectionQuery): ReferenceVerdict {
  const admin = tierMatch(world, q, "Admin");
  if (admin && admin.action !== "Pass") {
    return { verdict: admin.action === "Accept" ? "allow" : "deny", by: "admin", ...attribution(admin) };
  }
  const passed = admin ? { passed: { policy: admin.name, rule: admin.rule } } : {};
  const isolating = world.policies.filter(
    (p) =>
      p.namespace === q.subject.namespace &&
      p.spec.policyTypes.includes(q.direction === "ingress" ? "Ingress" : "Egress") &&
      selectorMatches(p.spec.podSelector, q.subject.labels),
  );
  if (isolating.length > 0) {
    for (const p of [...isolating].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const rules = q.direction === "ingress" ? p.spec.ingress : p.spec.egress;
      const i = rules.findIndex(
        (r) =>
          (r.peers.length === 0 || r.peers.some((peer) => npPeerMatches(world, p.namespace, peer, q.peer))) &&
          (r.ports.length === 0 || r.ports.some((port) => npPortMatches(port, q, destinationOf(world, q)))),
      );
      if (i >= 0)
        return {
          verdict: "allow",
          by: "networkpolicy",
          policy: `${p.namespace}/${p.name}`,
          rule: i,
          ...passed,
        };
    }
    return { verdict: "deny", by: "networkpolicy", ...passed };
  }
  const baseline = tierMatch(world, q, "Baseline");
  if (baseline && baseline.action !== "Pass") {
    return {
      verdict: baseline.action === "Accept" ? "allow" : "deny",
      by: "baseline",
      ...attribution(baseline),
      ...passed,
    };
  }
  return { verdict: "allow", by: "default", ...passed };
}

interface TierHit {
  name: string;
  rule: number;
  action: ClusterRule["action"];
}

function attribution(h: TierHit) {
  return { policy: h.name, rule: h.rule, action: h.action as "Accept" | "Deny" };
}

/** The first matching rule of the first policy (by priority, then id) of a tier that selects the subject. */
function tierMatch(world: World, q: DirectionQuery, tier: "Admin" | "Baseline"): TierHit | undefined {
  const ordered = world.clusterPolicies
    .filter(({ policy }) => policy.spec.tier === tier && podSelected(world, policy.spec.subject, q.subject))
    .sort((a, b) => a.policy.spec.priority - b.policy.spec.priority || a.id - b.id);
  for (const { policy } of ordered) {
    const rules = q.direction === "ingress" ? policy.spec.ingress : policy.spec.egress;
    const i = rules.findIndex((r) => clusterRuleMatches(world, r, q));
    if (i >= 0) return { name: policy.name, rule: i, action: rules[i]!.action };
  }
  return undefined;
}

function namespaceLabels(world: World, name: string) {
  return world.namespaces.find((n) => n.name === name)?.labels ?? {};
}

/** A `namespaces` or `pods` subject or peer: endpoints only (never an outside address). */
function podSelected(world: World, s: Exclude<ClusterPeer, { networks: string[] }>, ep: Endpoint): boolean {
  const nsLabels = namespaceLabels(world, ep.namespace);
  if ("namespaces" in s) return selectorMatches(s.namespaces, nsLabels);
  return (
    selectorMatches(s.pods.namespaceSelector, nsLabels) && selectorMatches(s.pods.podSelector, ep.labels)
  );
}

function addressOf(peer: Endpoint | string): string | undefined {
  return typeof peer === "string" ? peer : peer.ips[0];
}

function inCidr(cidr: string, ip: string | undefined): boolean {
  const prefix = parseCidr(cidr);
  const addr = ip === undefined ? null : parseIp(ip);
  if (!prefix || !addr) return false;
  return prefixContains(prefix, { family: addr.family, bytes: addr.bytes, prefixLen: addr.bytes.length * 8 });
}

/** Resolves an address to the endpoint that holds it, so peers given by address match selectors. */
function peerEndpoint(world: World, peer: Endpoint | string): Endpoint | undefined {
  if (typeof peer !== "string") return peer;
  return world.endpoints.find((e) => e.ips.includes(peer));
}

function clusterRuleMatches(world: World, rule: ClusterRule, q: DirectionQuery): boolean {
  const peerEp = peerEndpoint(world, q.peer);
  const peerOk = rule.peers.some((p) => {
    if ("networks" in p) return p.networks.some((c) => inCidr(c, addressOf(q.peer)));
    return peerEp !== undefined && podSelected(world, p, peerEp);
  });
  if (!peerOk) return false;
  if (rule.protocols.length === 0) return true;
  const destination = destinationOf(world, q);
  return rule.protocols.some((p) => clusterProtocolMatches(p, q, destination));
}

function clusterProtocolMatches(
  p: ClusterProtocol,
  q: DirectionQuery,
  destination: Endpoint | undefined,
): boolean {
  if (q.protocol === "ICMP") return false;
  if ("namedPort" in p) {
    return (destination?.ports ?? []).some(
      (ep) => ep.name === p.namedPort && ep.protocol === q.protocol && ep.port === q.port,
    );
  }
  return p.protocol === q.protocol && q.port >= p.port && q.port <= (p.endPort ?? p.port);
}

function npPeerMatches(world: World, policyNs: string, peer: PolicyPeer, other: Endpoint | string): boolean {
  if (peer.ipBlock) {
    const ip = addressOf(other);
    return inCidr(peer.ipBlock.cidr, ip) && !peer.ipBlock.except.some((e) => inCidr(e, ip));
  }
  const ep = peerEndpoint(world, other);
  if (!ep) return false;
  if (peer.namespaceSelector) {
    if (!selectorMatches(peer.namespaceSelector, namespaceLabels(world, ep.namespace))) return false;
  } else if (ep.namespace !== policyNs) {
    return false;
  }
  return !peer.podSelector || selectorMatches(peer.podSelector, ep.labels);
}

function destinationOf(world: World, q: DirectionQuery): Endpoint | undefined {
  return q.direction === "ingress" ? q.subject : peerEndpoint(world, q.peer);
}

function npPortMatches(port: PolicyPort, q: DirectionQuery, destination: Endpoint | undefined): boolean {
  if (q.protocol === "ICMP" || port.protocol !== q.protocol) return false;
  if (port.port === undefined) return true;
  if (typeof port.port === "string") {
    return (destination?.ports ?? []).some(
      (ep) => ep.name === port.port && ep.protocol === q.protocol && ep.port === q.port,
    );
  }
  return q.port >= port.port && q.port <= (port.endPort ?? port.port);
}
