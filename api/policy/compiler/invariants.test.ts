import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { endpointKey, ipcacheKey, type NodeState, policyKey } from "../../../wire/entries.ts";
import type { Endpoint, LabelSelector, NetworkPolicy, PolicyPeer, PolicyPort } from "../model.ts";
import { PolicyEngine } from "./engine.ts";
import type { Change } from "./object-change.ts";
import { applyToMirror, ns, recompiled } from "./testing.ts";

const NAMESPACES = ["a", "b", "c"];
const label = fc.constantFrom("x", "y", "z");
const labels = fc.dictionary(fc.constantFrom("app", "tier"), label, { maxKeys: 2 });
const selector: fc.Arbitrary<LabelSelector> = fc.record({
  matchLabels: fc.dictionary(fc.constantFrom("app", "tier", "team"), label, { maxKeys: 1 }),
  matchExpressions: fc.array(
    fc
      .record({
        key: fc.constantFrom("app", "tier"),
        operator: fc.constantFrom("In", "NotIn", "Exists", "DoesNotExist"),
        values: fc.constant([] as string[]),
      })
      .map((e) => ({ ...e, values: e.operator === "In" || e.operator === "NotIn" ? ["x"] : [] })),
    { maxLength: 1 },
  ),
});
const cidr = fc.constantFrom("10.0.0.0/8", "10.0.1.0/24", "10.0.1.2/32", "0.0.0.0/0", "192.168.0.0/16");
const peer: fc.Arbitrary<PolicyPeer> = fc.oneof(
  fc.record({ podSelector: selector }),
  fc.record({ namespaceSelector: selector }),
  fc.record({ namespaceSelector: selector, podSelector: selector }),
  fc
    .record({ cidr, except: fc.constantFrom([], ["10.0.1.0/24"], ["10.0.1.2/32"]) })
    .map(({ cidr, except }) => ({
      ipBlock: {
        cidr,
        except: except.filter(
          (e) =>
            e !== cidr &&
            (cidr === "0.0.0.0/0" ||
              cidr === "10.0.0.0/8" ||
              (cidr === "10.0.1.0/24" && e === "10.0.1.2/32")),
        ),
      },
    })),
);
const port: fc.Arbitrary<PolicyPort> = fc.oneof(
  fc.record({ protocol: fc.constantFrom("TCP", "UDP"), port: fc.integer({ min: 79, max: 81 }) }),
  fc.record({
    protocol: fc.constant("TCP"),
    port: fc.constant(100),
    endPort: fc.integer({ min: 100, max: 300 }),
  }),
  fc.record({ protocol: fc.constant("TCP" as const), port: fc.constantFrom("http", "dns") }),
);
const ruleArb = fc.record({
  peers: fc.array(peer, { maxLength: 2 }),
  ports: fc.array(port, { maxLength: 2 }),
});
const policyArb = (name: string) =>
  fc
    .record({
      namespace: fc.constantFrom(...NAMESPACES),
      podSelector: selector,
      ingress: fc.array(ruleArb, { maxLength: 2 }),
      egress: fc.array(ruleArb, { maxLength: 2 }),
      types: fc.constantFrom(["Ingress"], ["Egress"], ["Ingress", "Egress"]) as fc.Arbitrary<
        ("Ingress" | "Egress")[]
      >,
    })
    .map(
      (p): NetworkPolicy => ({
        namespace: p.namespace,
        name,
        labels: {},
        annotations: {},
        spec: { podSelector: p.podSelector, policyTypes: p.types, ingress: p.ingress, egress: p.egress },
      }),
    );
const endpointArb = (i: number) =>
  fc
    .record({
      namespace: fc.constantFrom(...NAMESPACES),
      labels,
      node: fc.constantFrom("n1", "n2"),
      ipLow: fc.integer({ min: 1, max: 3 }),
      httpPort: fc.option(fc.constantFrom(8080, 9090), { nil: undefined }),
    })
    .map(
      (e): Endpoint => ({
        namespace: e.namespace,
        name: `ep${i}`,
        labels: e.labels,
        node: e.node,
        interface: `veth${i}`,
        ips: [`10.0.${e.ipLow}.${i + 1}`],
        ports: e.httpPort ? [{ name: "http", port: e.httpPort, protocol: "TCP" }] : [],
      }),
    );

/** Changes only the ports of an existing endpoint: its identity stays, named-port targets move. */
const retagArb = fc.tuple(
  fc.integer({ min: 0, max: 5 }),
  fc.option(fc.constantFrom(8080, 9090), { nil: undefined }),
);

/** A random change against a fixed cast of objects (ids are stable per name, as in the store). */
const changeArb: fc.Arbitrary<Change | [number, number | undefined]> = fc.oneof(
  retagArb,
  fc
    .integer({ min: 0, max: 5 })
    .chain((i) =>
      endpointArb(i).map((value): Change => ({ kind: "endpoint", op: "upsert", id: 100 + i, value })),
    ),
  fc
    .integer({ min: 0, max: 5 })
    .map((i): Change => ({ kind: "endpoint", op: "delete", namespace: "?", name: `ep${i}` })),
  fc
    .integer({ min: 0, max: 3 })
    .chain((i) =>
      policyArb(`p${i}`).map((value): Change => ({ kind: "policy", op: "upsert", id: 200 + i, value })),
    ),
  fc
    .integer({ min: 0, max: 3 })
    .map((i): Change => ({ kind: "policy", op: "delete", namespace: "?", name: `p${i}` })),
  fc
    .tuple(fc.constantFrom(...NAMESPACES), fc.option(label, { nil: undefined }))
    .map(
      ([name, team]): Change => ({ kind: "namespace", op: "upsert", value: ns(name, team ? { team } : {}) }),
    ),
);

/** Resolves "?" namespaces of deletes against what the engine holds, the way the store would. */
function resolve(engine: PolicyEngine, c: Change | [number, number | undefined]): Change | null {
  if (Array.isArray(c)) {
    const [i, httpPort] = c;
    const rec = [...engine.endpoints.values()].find((r) => r.endpoint.name === `ep${i}`);
    if (!rec) return null;
    const ports = httpPort ? [{ name: "http", port: httpPort, protocol: "TCP" as const }] : [];
    return { kind: "endpoint", op: "upsert", id: rec.id, value: { ...rec.endpoint, ports } };
  }
  if (c.op !== "delete" || c.kind === "namespace" || c.kind === "clusterpolicy") {
    if (c.kind === "endpoint" && c.op === "upsert") {
      const clash = [...engine.endpoints.values()].find(
        (r) => r.endpoint.name !== c.value.name && r.endpoint.ips[0] === c.value.ips[0],
      );
      if (clash) return null;
      const old = [...engine.endpoints.values()].find((r) => r.endpoint.name === c.value.name);
      if (old && old.endpoint.namespace !== c.value.namespace) return null;
    }
    if (c.kind === "policy" && c.op === "upsert") {
      const old = [...engine.policies.values()].find((r) => r.policy.name === c.value.name);
      if (old && old.policy.namespace !== c.value.namespace) return null;
    }
    return c;
  }
  const pool =
    c.kind === "endpoint"
      ? [...engine.endpoints.values()].map((r) => r.endpoint)
      : [...engine.policies.values()].map((r) => r.policy);
  const hit = pool.find((o) => o.name === c.name);
  return hit ? { ...c, namespace: hit.namespace } : null;
}

function normalize(state: NodeState) {
  return {
    ipcache: new Map(state.ipcache.map((e) => [ipcacheKey(e), e])),
    endpoints: new Map(state.endpoints.map((e) => [endpointKey(e), e])),
    policies: new Map(state.policies.map((e) => [policyKey(e), e])),
  };
}

function sorted(map: Map<string, unknown>) {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
}

describe("compiler invariants", () => {
  it("applying every delta to the nodes gives the full state, and a full recompute gives the same state", () => {
    fc.assert(
      fc.property(
        fc.tuple(...[0, 1, 2, 3, 4, 5].map(endpointArb)),
        fc.tuple(...[0, 1, 2, 3].map((i) => policyArb(`p${i}`))),
        fc.array(changeArb, { minLength: 5, maxLength: 30 }),
        (initialEndpoints, initialPolicies, changes) => {
          const engine = new PolicyEngine();
          engine.apply(NAMESPACES.map((n) => ({ kind: "namespace", op: "upsert", value: ns(n) })));
          const setup: (Change | [number, number | undefined])[] = [
            ...initialEndpoints.map(
              (value, i): Change => ({ kind: "endpoint", op: "upsert", id: 100 + i, value }),
            ),
            ...initialPolicies.map(
              (value, i): Change => ({ kind: "policy", op: "upsert", id: 200 + i, value }),
            ),
          ];
          changes.unshift(...setup);
          const mirrors = new Map<string, ReturnType<typeof normalize>>();
          const mirror = (node: string) => {
            let m = mirrors.get(node);
            if (!m)
              mirrors.set(
                node,
                (m = normalize({ ipcache: [...engine.ipcache.values()], endpoints: [], policies: [] })),
              );
            return m;
          };
          mirror("n1");
          mirror("n2");
          for (const raw of changes) {
            const c = resolve(engine, raw);
            if (!c) continue;
            const result = engine.apply([c]);
            for (const node of ["n1", "n2"]) applyToMirror(mirror(node), result.changes, node);
          }
          const full = recompiled(engine);
          for (const node of ["n1", "n2"]) {
            const want = normalize(engine.nodeState(node));
            const got = mirrors.get(node)!;
            for (const k of ["ipcache", "endpoints", "policies"] as const) {
              assert.deepEqual(sorted(got[k]), sorted(want[k]), `${node} ${k}: deltas vs state`);
              assert.deepEqual(
                sorted(normalize(full.nodeState(node))[k]),
                sorted(want[k]),
                `${node} ${k}: full vs incremental`,
              );
            }
          }
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 200), endOnFailure: true },
    );
  });
});
