// Issue 10 section 2: a refused write must be cheap. The compiler journals every mutation and a
// refusal rolls the journal back instead of rebuilding the engine from the store; these tests check
// that the store keeps its engine (no rebuild) and that, after any write, accepted or refused, the
// engine equals a fresh load of the store. bench/control-plane/refusal-cost.ts measures the cost.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { PolicyEngine } from "../../api/policy/compiler/engine.ts";
import type { ObjectWrite } from "../../api/policy/compiler/object-change.ts";
import { ns, pod, policy, rule, sel } from "../../api/policy/compiler/testing.ts";
import type { Endpoint, NetworkPolicy, PolicyPeer } from "../../api/policy/model.ts";
import { objectLimits } from "../../api/policy/validation/object-limits.ts";
import { StoreError } from "../../api/store/errors.ts";
import { loadEngine } from "../../api/store/load.ts";
import type { CommitOrigin } from "../../api/store/origin.ts";
import { Store } from "../../api/store/store.ts";
import { openTestDatabase } from "../../db/testing.ts";
import { endpointKey, ipcacheKey, type MapSizes, policyKey } from "../../wire/entries.ts";

const byRoute: { origin: CommitOrigin } = { origin: { kind: "object" } };

/** Everything a node or the store could observe of an engine, in a comparable form. */
function observable(engine: PolicyEngine, nodes: string[]) {
  const sortBy = <T>(items: T[], key: (t: T) => string) =>
    items.map((t) => [key(t), t] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    nodes: Object.fromEntries(
      nodes.map((node) => {
        const s = engine.nodeState(node);
        return [
          node,
          {
            ipcache: sortBy(s.ipcache, ipcacheKey),
            endpoints: sortBy(s.endpoints, endpointKey),
            policies: sortBy(s.policies, policyKey),
          },
        ];
      }),
    ),
    allocations: sortBy(engine.allocationsSnapshot(), (a) => `${a.kind} ${a.key}`),
    highWater: engine.highWater(),
    objects: {
      namespaces: [...engine.namespaces.keys()].sort(),
      endpoints: [...engine.endpoints.keys()].sort(),
      policies: [...engine.policies.keys()].sort(),
    },
  };
}

/** Asserts that the store's engine equals a fresh load of what the store holds. */
function assertMatchesStore(store: Store, mapSizes: MapSizes | undefined, context: string): void {
  const { engine: fresh, purged } = loadEngine(store.db, mapSizes);
  assert.deepEqual(purged, [], `${context}: a fresh load purged allocations the store still held`);
  const nodes = [...new Set([...store.engine.nodes.names(), ...fresh.nodes.names()])].sort();
  assert.deepEqual(observable(store.engine, nodes), observable(fresh, nodes), context);
}

/** Commits, expecting a refusal with `code`; checks the engine was kept, not rebuilt. */
function expectRefusal(store: Store, writes: ObjectWrite[], code: string, mapSizes?: MapSizes): void {
  const engine = store.engine;
  const revision = store.revision();
  assert.throws(
    () => store.commit(writes, byRoute),
    (err: unknown) => err instanceof StoreError && err.code === code,
  );
  assert.equal(store.revision(), revision);
  assert.equal(store.engine, engine, "the refusal rebuilt the engine from the store");
  assertMatchesStore(store, mapSizes, code);
}

const upsertNs = (name: string, labels: Record<string, string> = {}): ObjectWrite => ({
  kind: "namespace",
  op: "upsert",
  value: ns(name, labels),
});
const upsertEp = (value: Endpoint, force?: boolean): ObjectWrite => ({
  kind: "endpoint",
  op: "upsert",
  value,
  ...(force === undefined ? {} : { force }),
});
const upsertPolicy = (value: NetworkPolicy): ObjectWrite => ({
  kind: "policy",
  op: "upsert",
  value,
  submitted: {},
});

describe("refused writes roll back without rebuilding the engine", () => {
  it("capacity: a policy past the node's policy map, in a batch that also changed other objects", () => {
    const mapSizes = { ipcache: 100, endpoints: 10, policies: 3 };
    const store = new Store(openTestDatabase(), { mapSizes });
    store.commit([upsertNs("x"), upsertEp(pod("x", "a", { app: "a" }))], byRoute);
    const ports = [80, 81, 82, 83].map((port) => ({ protocol: "TCP" as const, port }));
    const tooBig = policy("x", "p", { ingress: [rule([], ports)] });
    expectRefusal(
      store,
      [upsertNs("x", { team: "t" }), upsertEp(pod("x", "b", { app: "b" })), upsertPolicy(tooBig)],
      "capacity.exceeded",
      mapSizes,
    );
  });

  it("capacity: prefixes past the ipcache", () => {
    const mapSizes = { ipcache: 8, endpoints: 10, policies: 100 };
    const store = new Store(openTestDatabase(), { mapSizes });
    store.commit([upsertNs("x"), upsertEp(pod("x", "a", { app: "a" }))], byRoute);
    const except = Array.from({ length: 10 }, (_, i) => `10.9.0.${i}/32`);
    const p = policy("x", "p", { ingress: [rule([{ ipBlock: { cidr: "10.0.0.0/8", except } }])] });
    expectRefusal(store, [upsertPolicy(p)], "capacity.exceeded", mapSizes);
  });

  it("address and interface conflicts, after earlier writes of the batch applied", () => {
    const store = new Store(openTestDatabase());
    const a = pod("x", "a", {});
    store.commit([upsertNs("x"), upsertEp(a)], byRoute);
    const fresh = pod("x", "c", { app: "c" });
    expectRefusal(
      store,
      [upsertEp(fresh), upsertEp(pod("x", "b", {}, { ips: a.ips }))],
      "endpoint.ip_conflict",
    );
    expectRefusal(
      store,
      [upsertEp(fresh), upsertEp(pod("x", "b", {}, { interface: a.interface }))],
      "endpoint.interface_conflict",
    );
  });

  it("endpoint.managed and namespace.not_found", () => {
    const store = new Store(openTestDatabase());
    store.commit([upsertNs("x"), upsertEp(pod("x", "a", {}, { managedBy: "node/n1" }))], byRoute);
    expectRefusal(store, [upsertEp(pod("x", "a", {}))], "endpoint.managed");
    expectRefusal(store, [upsertNs("y"), upsertEp(pod("nope", "b", {}))], "namespace.not_found");
  });

  it("a failing transaction hook after the compile rolls the engine back too", () => {
    let fail = false;
    const store = new Store(openTestDatabase(), {
      inTransaction: () => {
        if (fail) throw new Error("hook failed");
      },
    });
    store.commit([upsertNs("x"), upsertEp(pod("x", "a", {}))], byRoute);
    fail = true;
    const engine = store.engine;
    assert.throws(
      () =>
        store.commit([upsertEp(pod("x", "b", { app: "b" })), upsertPolicy(policy("x", "p", {}))], byRoute),
      /hook failed/,
    );
    assert.equal(store.engine, engine);
    assertMatchesStore(store, undefined, "hook");
  });
});

// The property: random batches of writes (some refused for capacity, conflicts, ownership or a
// missing namespace), each either accepted or refused, and after each the engine equals a fresh
// load of the store. Map sizes are small so that capacity refusals are common.
const NAMESPACES = ["a", "b", "missing"];
/** Mostly namespaces that exist: a missing one refuses the whole batch. */
const namespace = fc.oneof(
  { weight: 6, arbitrary: fc.constant("a") },
  { weight: 3, arbitrary: fc.constant("b") },
  { weight: 1, arbitrary: fc.constant("missing") },
);
const label = fc.constantFrom("x", "y");
const labels = fc.dictionary(fc.constantFrom("app", "tier"), label, { maxKeys: 2 });
const selector = fc.dictionary(fc.constantFrom("app", "tier"), label, { maxKeys: 1 }).map((m) => sel(m));
const host = (n: number) => `10.${1 + ((n >> 16) & 7)}.${(n >> 8) & 255}.${n & 255}/32`;
const peer: fc.Arbitrary<PolicyPeer> = fc.oneof(
  fc.record({ podSelector: selector }),
  fc.record({ namespaceSelector: selector }),
  fc
    .tuple(
      fc.constantFrom("10.0.0.0/8", "0.0.0.0/0"),
      // Up to the validation limit of excepts per ipBlock, mostly few.
      fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 0, max: 3 }) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: objectLimits.excepts }) },
      ),
      fc.integer({ min: 0, max: 1 << 18 }),
    )
    .map(([cidr, n, base]) => ({
      ipBlock: { cidr, except: [...new Set(Array.from({ length: n }, (_, i) => host(base + i * 7)))] },
    })),
);
const ports = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 2 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: objectLimits.ports }) },
);
const ruleArb = fc.tuple(fc.array(peer, { maxLength: 3 }), ports, fc.boolean()).map(([peers, n, named]) =>
  rule(
    peers,
    Array.from({ length: n }, (_, i) =>
      named && i === 0
        ? { protocol: "TCP" as const, port: "http" }
        : { protocol: "TCP" as const, port: 1000 + i },
    ),
  ),
);
const policyWrite = fc
  .record({
    name: fc.constantFrom("p0", "p1", "p2"),
    namespace,
    podSelector: selector,
    ingress: fc.array(ruleArb, { maxLength: 2 }),
    egress: fc.array(ruleArb, { maxLength: 2 }),
  })
  .map(({ name, namespace, podSelector, ingress, egress }) =>
    upsertPolicy(
      policy(namespace, name, {
        podSelector,
        ingress,
        egress,
        policyTypes: egress.length > 0 ? ["Ingress", "Egress"] : ["Ingress"],
      }),
    ),
  );
const endpointWrite = fc
  .record({
    i: fc.integer({ min: 0, max: 5 }),
    namespace,
    labels,
    node: fc.constantFrom("n1", "n2"),
    iface: fc.integer({ min: 0, max: 3 }),
    ip: fc.integer({ min: 1, max: 6 }),
    http: fc.boolean(),
    managedBy: fc.option(fc.constant("node/n1"), { nil: undefined, freq: 2 }),
    force: fc.option(fc.constant(true), { nil: undefined, freq: 4 }),
  })
  .map(({ i, namespace, labels, node, iface, ip, http, managedBy, force }) =>
    upsertEp(
      {
        namespace,
        name: `ep${i}`,
        labels,
        node,
        interface: `veth${iface}`,
        ips: [`10.0.0.${ip}`],
        ports: http ? [{ name: "http", port: 8080, protocol: "TCP" }] : [],
        ...(managedBy ? { managedBy } : {}),
      },
      force,
    ),
  );
const deleteWrite: fc.Arbitrary<ObjectWrite> = fc.oneof(
  fc.record({
    kind: fc.constant("endpoint" as const),
    op: fc.constant("delete" as const),
    namespace: fc.constantFrom(...NAMESPACES),
    name: fc.constantFrom("ep0", "ep1", "ep2"),
    writer: fc.option(fc.constant("node/n1"), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant("policy" as const),
    op: fc.constant("delete" as const),
    namespace: fc.constantFrom(...NAMESPACES),
    name: fc.constantFrom("p0", "p1"),
  }),
  fc
    .constantFrom("a", "b", "missing")
    .map((name): ObjectWrite => ({ kind: "namespace", op: "delete", name })),
);
const write: fc.Arbitrary<ObjectWrite> = fc.oneof(
  { weight: 4, arbitrary: endpointWrite },
  { weight: 4, arbitrary: policyWrite },
  { weight: 2, arbitrary: deleteWrite },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom("a", "b"), labels).map(([name, l]) => upsertNs(name, l)),
  },
);

describe("refused writes: property", { timeout: 600_000 }, () => {
  it("every write is accepted or refused, and the engine always equals a fresh load of the store", () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(fc.array(fc.array(write, { minLength: 1, maxLength: 3 }), { maxLength: 12 }), (batches) => {
        const mapSizes = { ipcache: 64, endpoints: 3, policies: 48 };
        const store = new Store(openTestDatabase(), { mapSizes });
        store.commit([upsertNs("a"), upsertNs("b", { team: "t" })], byRoute);
        for (const [i, batch] of batches.entries()) {
          const engine = store.engine;
          try {
            store.commit(batch, byRoute);
            seen.set("accepted", (seen.get("accepted") ?? 0) + 1);
          } catch (err) {
            if (!(err instanceof StoreError)) throw err;
            seen.set(err.code, (seen.get(err.code) ?? 0) + 1);
            assert.equal(store.engine, engine, `batch ${i} (${err.code}) rebuilt the engine`);
          }
          assertMatchesStore(store, mapSizes, `after batch ${i}`);
        }
      }),
      // A fixed seed by default: 150 random runs missed endpoint.managed about one time in fifty,
      // which failed the check below with nothing wrong. FC_SEED picks another.
      {
        numRuns: Number(process.env.FC_RUNS ?? 150),
        seed: Number(process.env.FC_SEED ?? 20_261_208),
        endOnFailure: true,
      },
    );
    if (process.env.REFUSAL_COUNTS) console.log(JSON.stringify([...seen]));
    // The generators must reach every kind of refusal (the cases above cover each deterministically).
    for (const code of [
      "accepted",
      "capacity.exceeded",
      "endpoint.ip_conflict",
      "endpoint.interface_conflict",
      "endpoint.managed",
      "namespace.not_found",
    ]) {
      assert.ok((seen.get(code) ?? 0) > 0, `no ${code} in ${JSON.stringify([...seen])}`);
    }
  });
});
