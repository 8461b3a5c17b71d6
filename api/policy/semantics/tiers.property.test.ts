// Property tests of the compiler with ClusterNetworkPolicies among NetworkPolicies: after random
// changes, (1) the per-node deltas add up to the node state, (2) a full recompute gives the same
// state, and (3) every flow between the endpoints (and a few outside addresses) gets the verdict
// of the reference semantics, which knows nothing of the compiler.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { PolicyEngine } from "../compiler/engine.ts";
import type { Change } from "../compiler/object-change.ts";
import {
  applyToMirror,
  emptyMirror,
  mirrorState,
  normalizedState,
  ns,
  recompiled,
} from "../compiler/testing.ts";
import type {
  ClusterNetworkPolicy,
  ClusterPeer,
  ClusterProtocol,
  ClusterRule,
  Endpoint,
  LabelSelector,
  NetworkPolicy,
  PolicyPeer,
  PolicyPort,
} from "../model.ts";
import type { FlowProtocol, World } from "./reference.ts";
import { compiledFlow, enforcedFlows, referenceFlow } from "./testing.ts";

const NAMESPACES = ["a", "b", "c"];
/** A third of the policies in audit mode. */
const AUDIT: Record<string, string> = { "palisade.dev/mode": "audit" };
const modeArb: fc.Arbitrary<Record<string, string>> = fc.constantFrom({}, {}, AUDIT);
const NODES = ["n1", "n2"];
const value = fc.constantFrom("x", "y");
const selector: fc.Arbitrary<LabelSelector> = fc.record({
  matchLabels: fc.dictionary(fc.constantFrom("app", "team"), value, { maxKeys: 1 }),
  matchExpressions: fc.constant([]),
});
const networks = fc.constantFrom(
  ["10.0.0.0/8"],
  ["10.0.1.0/24"],
  ["10.0.2.3/32", "192.168.0.0/16"],
  ["0.0.0.0/0"],
);
const clusterSubject = fc.oneof(
  selector.map((s) => ({ namespaces: s })),
  fc.record({ namespaceSelector: selector, podSelector: selector }).map((pods) => ({ pods })),
);
const clusterPeer = (egress: boolean): fc.Arbitrary<ClusterPeer> =>
  egress
    ? fc.oneof(
        clusterSubject,
        networks.map((n) => ({ networks: [...n] })),
      )
    : clusterSubject;
const clusterProtocol: fc.Arbitrary<ClusterProtocol> = fc.oneof(
  fc.record({ protocol: fc.constantFrom("TCP" as const, "UDP" as const), port: fc.constantFrom(80, 8080) }),
  fc.constant({ protocol: "TCP" as const, port: 79, endPort: 81 }),
  fc.constant({ namedPort: "http" }),
);
const clusterRule = (egress: boolean): fc.Arbitrary<ClusterRule> =>
  fc
    .record({
      action: fc.constantFrom("Accept" as const, "Deny" as const, "Pass" as const),
      peers: fc.array(clusterPeer(egress), { minLength: 1, maxLength: 2 }),
      protocols: fc.array(clusterProtocol, { maxLength: 2 }),
    })
    .map((r) => {
      // Upstream refuses named ports with networks peers.
      const nets = r.peers.some((p) => "networks" in p);
      return {
        name: "",
        ...r,
        protocols: nets ? r.protocols.filter((p) => !("namedPort" in p)) : r.protocols,
      };
    });
const cnpArb = (name: string): fc.Arbitrary<ClusterNetworkPolicy> =>
  fc
    .record({
      tier: fc.constantFrom("Admin" as const, "Baseline" as const),
      priority: fc.integer({ min: 0, max: 2 }),
      subject: clusterSubject,
      ingress: fc.array(clusterRule(false), { maxLength: 2 }),
      egress: fc.array(clusterRule(true), { maxLength: 2 }),
    })
    .chain((spec) => modeArb.map((annotations) => ({ name, labels: {}, annotations, spec })));
const npPeer: fc.Arbitrary<PolicyPeer> = fc.oneof(
  fc.record({ podSelector: selector }),
  fc.record({ namespaceSelector: selector }),
  fc.constant({ ipBlock: { cidr: "10.0.1.0/24", except: [] as string[] } }),
);
const npPort: fc.Arbitrary<PolicyPort> = fc.oneof(
  fc.record({ protocol: fc.constantFrom("TCP" as const, "UDP" as const), port: fc.constantFrom(80, 8080) }),
  fc.constant({ protocol: "TCP" as const, port: "http" }),
);
const npArb = (name: string): fc.Arbitrary<NetworkPolicy> =>
  fc
    .record({
      namespace: fc.constantFrom(...NAMESPACES),
      podSelector: selector,
      types: fc.constantFrom(["Ingress"], ["Egress"], ["Ingress", "Egress"]) as fc.Arbitrary<
        ("Ingress" | "Egress")[]
      >,
      ingress: fc.array(
        fc.record({ peers: fc.array(npPeer, { maxLength: 2 }), ports: fc.array(npPort, { maxLength: 1 }) }),
        { maxLength: 2 },
      ),
      egress: fc.array(
        fc.record({ peers: fc.array(npPeer, { maxLength: 2 }), ports: fc.array(npPort, { maxLength: 1 }) }),
        { maxLength: 2 },
      ),
      annotations: modeArb,
    })
    .map((p) => ({
      namespace: p.namespace,
      name,
      labels: {},
      annotations: p.annotations,
      spec: { podSelector: p.podSelector, policyTypes: p.types, ingress: p.ingress, egress: p.egress },
    }));
const endpointArb = (i: number): fc.Arbitrary<Endpoint> =>
  fc
    .record({
      namespace: fc.constantFrom(...NAMESPACES),
      labels: fc.dictionary(fc.constantFrom("app"), value, { maxKeys: 1 }),
      node: fc.constantFrom(...NODES),
      subnet: fc.integer({ min: 1, max: 2 }),
      http: fc.option(fc.constantFrom(80, 8080), { nil: undefined }),
    })
    .map((e) => ({
      namespace: e.namespace,
      name: `ep${i}`,
      labels: e.labels,
      node: e.node,
      interface: `veth${i}`,
      ips: [`10.0.${e.subnet}.${i + 1}`],
      ports: e.http ? [{ name: "http", port: e.http, protocol: "TCP" as const }] : [],
    }));

const CNP_IDS = 300;
const changeArb: fc.Arbitrary<Change> = fc.oneof(
  fc
    .integer({ min: 0, max: 2 })
    .chain((i) =>
      cnpArb(`c${i}`).map(
        (value): Change => ({ kind: "clusterpolicy", op: "upsert", id: CNP_IDS + i, value }),
      ),
    ),
  fc.integer({ min: 0, max: 2 }).map((i): Change => ({ kind: "clusterpolicy", op: "delete", name: `c${i}` })),
  fc
    .integer({ min: 0, max: 1 })
    .chain((i) =>
      npArb(`p${i}`).map((value): Change => ({ kind: "policy", op: "upsert", id: 200 + i, value })),
    ),
  fc
    .integer({ min: 0, max: 4 })
    .chain((i) =>
      endpointArb(i).map((value): Change => ({ kind: "endpoint", op: "upsert", id: 100 + i, value })),
    ),
  // A namespace relabel changes every identity in it and which namespace peers select it.
  fc
    .record({ n: fc.constantFrom(...NAMESPACES), team: value })
    .map(({ n, team }): Change => ({ kind: "namespace", op: "upsert", value: ns(n, { team }) })),
  fc
    .record({ n: fc.constantFrom(...NAMESPACES), i: fc.integer({ min: 0, max: 4 }) })
    .map(({ n, i }): Change => ({ kind: "endpoint", op: "delete", namespace: n, name: `ep${i}` })),
);

/** Applies a change unless the store would refuse it (moving an object between namespaces, a clash). */
function applyIfValid(engine: PolicyEngine, c: Change): NodeChanges | null {
  if (c.kind === "clusterpolicy" && c.op === "delete") {
    if (![...engine.policies.values()].some((r) => r.cluster?.name === c.name)) return null;
  }
  if (c.kind === "endpoint" && c.op === "upsert") {
    const other = [...engine.endpoints.values()].find((r) => r.endpoint.name === c.value.name);
    if (other && other.endpoint.namespace !== c.value.namespace) return null;
  }
  if (c.kind === "policy" && c.op === "upsert") {
    const other = [...engine.policies.values()].find((r) => !r.cluster && r.policy.name === c.value.name);
    if (other && other.policy.namespace !== c.value.namespace) return null;
  }
  try {
    return engine.apply([c]);
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith("endpoint.")) return null;
    throw err;
  }
}
type NodeChanges = ReturnType<PolicyEngine["apply"]>;

function worldOfEngine(engine: PolicyEngine): World {
  const recs = [...engine.policies.values()];
  return {
    namespaces: [...engine.namespaces.values()],
    endpoints: [...engine.endpoints.values()].map((r) => r.endpoint),
    policies: recs.filter((r) => !r.cluster).map((r) => r.policy),
    clusterPolicies: recs.filter((r) => r.cluster).map((r) => ({ id: r.id, policy: r.cluster!.object })),
  };
}

const FLOWS: [FlowProtocol, number][] = [
  ["TCP", 80],
  ["TCP", 81],
  ["TCP", 8080],
  ["UDP", 80],
  ["ICMP", 0],
];
const OUTSIDE = ["192.168.3.4", "10.9.9.9"];

describe("ClusterNetworkPolicy compiler properties", () => {
  it("deltas add up to the state, a full recompute agrees, and every flow matches the reference", () => {
    fc.assert(
      fc.property(fc.array(changeArb, { minLength: 4, maxLength: 16 }), (changes) => {
        const engine = new PolicyEngine();
        engine.apply(
          NAMESPACES.map(
            (n, i): Change => ({
              kind: "namespace",
              op: "upsert",
              value: ns(n, { team: i === 0 ? "x" : "y" }),
            }),
          ),
        );
        const mirrors = new Map(NODES.map((n) => [n, emptyMirror()]));
        for (const c of changes) {
          const result = applyIfValid(engine, c);
          if (!result) continue;
          for (const node of NODES) applyToMirror(mirrors.get(node)!, result.changes, node);
        }
        const full = recompiled(engine);
        for (const node of NODES) {
          const want = normalizedState(engine.nodeState(node));
          const got = normalizedState(mirrorState(mirrors.get(node)!));
          assert.deepEqual(got, want, `${node}: deltas vs state`);
          assert.deepEqual(normalizedState(full.nodeState(node)), want, `${node}: full vs incremental`);
        }
        const world = worldOfEngine(engine);
        const eps = world.endpoints;
        for (const src of [...eps, ...OUTSIDE]) {
          for (const dst of [...eps, ...OUTSIDE]) {
            if (src === dst || (typeof src === "string" && typeof dst === "string")) continue;
            for (const [protocol, port] of FLOWS) {
              const ref = referenceFlow(world, src, dst, protocol, port);
              const enforced = enforcedFlows(world, engine, src, dst, protocol, port);
              assert.equal(enforced.compiled, enforced.reference, "verdict with audit policies enforced");
              const want = ref.audit ? "audit" : ref.verdict;
              const got = compiledFlow(engine, src, dst, protocol, port);
              if (got !== want) {
                const name = (x: Endpoint | string) => (typeof x === "string" ? x : x.name);
                assert.fail(
                  `${name(src)} -> ${name(dst)} ${protocol}/${port}: compiled ${got}, reference ${want} ${JSON.stringify(ref)}`,
                );
              }
            }
          }
        }
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 150), endOnFailure: true },
    );
  });
});
