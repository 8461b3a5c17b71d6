// Test helpers for the compiler: terse builders for namespaces, endpoints and policies, and a
// verdict query that runs the same policy lookup the datapath runs.
import {
  type EndpointEntry,
  endpointKey,
  type IpcacheEntry,
  ipcacheKey,
  type NodeState,
  type PolicyEntry,
  PROTO,
  policyKey,
} from "../../../wire/entries.ts";
import { applyMapDeltaTo } from "../../../wire/map-delta.ts";
import { PolicyIndex } from "../../../wire/policy-lookup.ts";
import type {
  ClusterNetworkPolicy,
  ClusterNetworkPolicySpec,
  ClusterRule,
  Endpoint,
  LabelSelector,
  Namespace,
  NetworkPolicy,
  NetworkPolicySpec,
  PolicyRule,
} from "../model.ts";
import { type ChangeSet, nodeDelta } from "./change-set.ts";
import { PolicyEngine } from "./engine.ts";
import type { Change } from "./object-change.ts";

export function ns(name: string, labels: Record<string, string> = {}): Namespace {
  return { name, labels: { ...labels, "kubernetes.io/metadata.name": name } };
}

export function sel(
  matchLabels: Record<string, string> = {},
  matchExpressions: LabelSelector["matchExpressions"] = [],
): LabelSelector {
  return { matchLabels, matchExpressions };
}

let nextIp = 1;
export function pod(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  opts: Partial<Endpoint> = {},
): Endpoint {
  const n = nextIp++;
  return {
    namespace,
    name,
    labels,
    node: "node-a",
    interface: `veth${n}`,
    ips: [`10.0.${n >> 8}.${n & 255}`],
    ports: [],
    ...opts,
  };
}

export function policy(namespace: string, name: string, spec: Partial<NetworkPolicySpec>): NetworkPolicy {
  const full: NetworkPolicySpec = {
    podSelector: sel(),
    ingress: [],
    egress: [],
    policyTypes: spec.policyTypes ?? [
      "Ingress",
      ...((spec.egress?.length ?? 0) > 0 ? (["Egress"] as const) : []),
    ],
    ...spec,
  };
  return { namespace, name, labels: {}, annotations: {}, spec: full };
}

export function rule(peers: PolicyRule["peers"] = [], ports: PolicyRule["ports"] = []): PolicyRule {
  return { peers, ports };
}

/** A ClusterNetworkPolicy; by default Admin tier, priority 0, every namespace, no rules. */
export function cnp(
  name: string,
  spec: Partial<ClusterNetworkPolicySpec>,
  annotations: Record<string, string> = {},
): ClusterNetworkPolicy {
  return {
    name,
    labels: {},
    annotations,
    spec: { tier: "Admin", priority: 0, subject: { namespaces: sel() }, ingress: [], egress: [], ...spec },
  };
}

/** A cluster rule: action, peers, protocols (absent = every protocol and port). */
export function crule(
  action: ClusterRule["action"],
  peers: ClusterRule["peers"],
  protocols: ClusterRule["protocols"] = [],
  name = "",
): ClusterRule {
  return { name, action, peers, protocols };
}

export type WorldObject = Namespace | Endpoint | NetworkPolicy | ClusterNetworkPolicy;

export function isClusterPolicy(o: WorldObject): o is ClusterNetworkPolicy {
  return "spec" in o && "tier" in o.spec;
}

/** Builds the changes for a world of objects; ids follow the order given. */
export function changesFor(objects: WorldObject[]): Change[] {
  let id = 0;
  return objects.map((o): Change => {
    id++;
    if (isClusterPolicy(o)) return { kind: "clusterpolicy", op: "upsert", id, value: o };
    if ("spec" in o) return { kind: "policy", op: "upsert", id, value: o };
    if ("interface" in o) return { kind: "endpoint", op: "upsert", id, value: o };
    return { kind: "namespace", op: "upsert", value: o };
  });
}

export function compile(objects: WorldObject[]): PolicyEngine {
  const engine = new PolicyEngine();
  engine.apply(changesFor(objects));
  return engine;
}

const PROTOCOLS = { TCP: PROTO.TCP, UDP: PROTO.UDP, SCTP: PROTO.SCTP, ICMP: PROTO.ICMP } as const;

/**
 * Would a connection from `src` to `dst` on protocol/port be allowed? Checks the source's egress
 * (when it is a local endpoint) and the destination's ingress, each on its own node's state.
 * `src`/`dst` are endpoints or raw IPs.
 */
export function allowed(
  engine: PolicyEngine,
  src: Endpoint | string,
  dst: Endpoint | string,
  protocol: keyof typeof PROTOCOLS = "TCP",
  port = 80,
): boolean {
  const srcIp = typeof src === "string" ? src : src.ips[0]!;
  const dstIp = typeof dst === "string" ? dst : dst.ips[0]!;
  const proto = PROTOCOLS[protocol];
  const check = (ep: Endpoint | string, direction: "ingress" | "egress", remoteIp: string) => {
    if (typeof ep === "string") return true;
    const state = engine.nodeState(ep.node);
    const entry = state.endpoints.find((e) => e.interface === ep.interface);
    if (!entry) throw new Error(`endpoint ${ep.namespace}/${ep.name} is not compiled on ${ep.node}`);
    return (
      new PolicyIndex(state).decide({ endpoint: entry, direction, remoteIp, protocol: proto, port })
        .verdict === "allow"
    );
  };
  return check(src, "egress", dstIp) && check(dst, "ingress", srcIp);
}

/** One node's maps, kept from deltas alone, as its agent keeps them (keyed like the datapath). */
export interface NodeMirror {
  ipcache: Map<string, IpcacheEntry>;
  endpoints: Map<string, EndpointEntry>;
  policies: Map<string, PolicyEntry>;
}

export function emptyMirror(): NodeMirror {
  return { ipcache: new Map(), endpoints: new Map(), policies: new Map() };
}

/** A mirror holding a node's whole state (a snapshot), for deltas to go on from. */
export function mirrorOf(state: NodeState): NodeMirror {
  const m = emptyMirror();
  for (const e of state.ipcache) m.ipcache.set(ipcacheKey(e), e);
  for (const e of state.endpoints) m.endpoints.set(endpointKey(e), e);
  for (const e of state.policies) m.policies.set(policyKey(e), e);
  return m;
}

/** What a mirror holds, as a node state. */
export function mirrorState(m: NodeMirror): NodeState {
  return {
    ipcache: [...m.ipcache.values()],
    endpoints: [...m.endpoints.values()],
    policies: [...m.policies.values()],
  };
}

/** A node state in a comparable order: each map's entries sorted by their key. */
export function normalizedState(state: NodeState) {
  const sorted = <T>(list: T[], key: (e: T) => string) =>
    list.map((e) => [key(e), e] as const).sort(([a], [b]) => (a < b ? -1 : 1));
  return {
    ipcache: sorted(state.ipcache, ipcacheKey),
    endpoints: sorted(state.endpoints, endpointKey),
    policies: sorted(state.policies, policyKey),
  };
}

/** Applies what one apply changed for `node` to its mirror. */
export function applyToMirror(m: NodeMirror, changes: ChangeSet, node: string): void {
  applyMapDeltaTo(m.ipcache, changes.ipcache, ipcacheKey);
  const d = nodeDelta(changes, node);
  applyMapDeltaTo(m.endpoints, d.endpoints, endpointKey);
  applyMapDeltaTo(m.policies, d.policies, policyKey);
}

/** A fresh compile of every object the engine holds, with the same ids (as the store reloads it). */
export function recompiled(engine: PolicyEngine): PolicyEngine {
  const full = new PolicyEngine({ allocations: engine.allocationsSnapshot(), highWater: engine.highWater() });
  full.apply([
    ...[...engine.namespaces.values()].map((value): Change => ({ kind: "namespace", op: "upsert", value })),
    ...[...engine.endpoints.values()].map(
      (r): Change => ({ kind: "endpoint", op: "upsert", id: r.id, value: r.endpoint }),
    ),
    ...[...engine.policies.values()].map(
      (r): Change =>
        r.cluster
          ? { kind: "clusterpolicy", op: "upsert", id: r.cluster.rowId, value: r.cluster.object }
          : { kind: "policy", op: "upsert", id: r.id, value: r.policy },
    ),
  ]);
  return full;
}
