// Sliced commits: a write whose compile outlasts the group's budget is compiled in slices with the
// event loop running between them, is still one transaction and one revision, keeps readers of the
// engine at the gate meanwhile, and when refused leaves nothing behind.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openTestDatabase } from "../../db/testing.ts";
import { DEFAULT_MAP_SIZES } from "../../wire/entries.ts";
import type { ObjectWrite } from "../policy/compiler/object-change.ts";
import { ns, pod, policy, rule } from "../policy/compiler/testing.ts";
import { StoreError } from "./errors.ts";
import type { CommitOrigin } from "./origin.ts";
import { Store, type StoreOptions } from "./store.ts";

const byRoute: { origin: CommitOrigin } = { origin: { kind: "object" } };
/** Every write is sliced, and every step of it is a slice. */
const slicedAlways: StoreOptions = { groupBudgetMs: 0, sliceMs: 0 };

/** Counts turns of the event loop (setImmediate callbacks) until stopped, noting the gate's state. */
function turns(store: Store) {
  const seen = { turns: 0, busyTurns: 0, stop: () => {} };
  let running = true;
  const spin = () => {
    if (!running) return;
    seen.turns++;
    if (store.gate.busy) seen.busyTurns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  seen.stop = () => {
    running = false;
  };
  return seen;
}

const podA = pod("x", "a", { app: "a" });
const podB = pod("x", "b", { app: "b" });

function seeded(opts: StoreOptions = {}) {
  const database = openTestDatabase();
  const store = new Store(database, opts);
  store.commit(
    [
      { kind: "namespace", op: "upsert", value: ns("x") },
      { kind: "endpoint", op: "upsert", value: podA },
      { kind: "endpoint", op: "upsert", value: podB },
    ],
    byRoute,
  );
  return { database, store };
}

/** The i-th /32 under 10.0.0.0/8, from `first`. */
const host = (i: number, first = 0) => {
  const n = first + i;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}/32`;
};

/**
 * A policy selecting every pod of x, allowing 10.0.0.0/8 except `count` /32s (from `first`) on
 * one port: `count` prefixes in the ipcache, one entry per set.
 */
function excepts(name: string, count: number, first = 0): ObjectWrite {
  const except = Array.from({ length: count }, (_, i) => host(i, first));
  const value = policy("x", name, {
    ingress: [rule([{ ipBlock: { cidr: "10.0.0.0/8", except } }], [{ protocol: "TCP", port: 80 }])],
  });
  return { kind: "policy", op: "upsert", value, submitted: {} };
}

/**
 * A policy selecting every pod of x, allowing `count` /32s in each of `rules` rules (distinct
 * ones): `count` x `rules` entries in each pod's set.
 */
function hosts(name: string, count: number, rules = 1): ObjectWrite {
  const peer = (i: number) => ({ ipBlock: { cidr: host(i, 1 << 20), except: [] } });
  const ingress = Array.from({ length: rules }, (_, r) =>
    rule(
      Array.from({ length: count }, (_, i) => peer(r * count + i)),
      [{ protocol: "TCP", port: 80 }],
    ),
  );
  return { kind: "policy", op: "upsert", value: policy("x", name, { ingress }), submitted: {} };
}

describe("sliced commits", () => {
  it("commit a write in slices with the event loop running between them, as one revision", async () => {
    const { database, store } = seeded(slicedAlways);
    const loop = turns(store);
    const result = await store.submit([excepts("wide", 300)], byRoute);
    loop.stop();
    assert.ok(loop.busyTurns > 1, `the loop ran ${loop.busyTurns} turns during the write`);
    assert.equal(result.revision, 2);
    assert.equal(store.revision(), 2);
    assert.equal(store.gate.busy, false);
    assert.deepEqual(store.changesSince(1), [{ revision: 2, changes: result.changes }]);
    // What the engine holds is what a restart loads from the rows.
    assert.deepEqual(new Store(database).engine.nodeState("node-a"), store.engine.nodeState("node-a"));
  });

  it("give a reader waiting at the gate the engine of the committed revision", async () => {
    const { database, store } = seeded(slicedAlways);
    const write = store.submit([excepts("wide", 300)], byRoute);
    // The write starts on the next turn; once it is paused, a reader waits for it.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(store.gate.busy, true, "the write is paused half applied");
    assert.throws(() => store.commit([{ kind: "namespace", op: "upsert", value: ns("y") }], byRoute));
    const read = store.gate.settled().then(() => ({
      revision: store.revision(),
      state: store.engine.nodeState("node-a"),
    }));
    const [result, seen] = await Promise.all([write, read]);
    assert.equal(seen.revision, result.revision);
    assert.deepEqual(seen.state, new Store(database).engine.nodeState("node-a"));
  });

  it("roll a refusal in a later slice back: no revision, no row, the engine as before", async () => {
    const mapSizes = { ...DEFAULT_MAP_SIZES, policies: 100 };
    const { database, store } = seeded({ ...slicedAlways, mapSizes });
    const before = store.engine.nodeState("node-a");
    // Two rules of 60 entries each fit the map's 100 alone: the set's 120 is refused only once it
    // is recomputed, after the policy was compiled, in a later slice.
    const loop = turns(store);
    const refused = store.submit([hosts("too-wide", 60, 2)], byRoute);
    await assert.rejects(refused, (err) => err instanceof StoreError && err.code === "capacity.exceeded");
    loop.stop();
    assert.ok(loop.busyTurns > 1, `refused after ${loop.busyTurns} turns of the loop`);
    assert.equal(store.gate.busy, false);
    assert.equal(store.revision(), 1);
    assert.equal(store.engine.policies.size, 0);
    assert.deepEqual(store.engine.nodeState("node-a"), before);
    assert.equal(
      database.sqlite.prepare("SELECT count(*) FROM network_policies").pluck().get(),
      0,
      "no policy row",
    );
    // The store goes on: the next write takes the next revision.
    const next = await store.submit([excepts("fits", 10)], byRoute);
    assert.equal(next.revision, 2);
    assert.deepEqual(new Store(database).engine.nodeState("node-a"), store.engine.nodeState("node-a"));
  });

  it("commit writes submitted during a sliced write after it, in order", async () => {
    const { store } = seeded({ sliceMs: 0 });
    const big = store.submit([excepts("wide", 3_000)], byRoute);
    const small = ["p1", "p2", "p3"].map((name) =>
      store.submit([{ kind: "policy", op: "upsert", value: policy("x", name, {}), submitted: {} }], byRoute),
    );
    const results = await Promise.all([big, ...small]);
    assert.deepEqual(
      results.map((r) => r.revision),
      [2, 3, 4, 5],
    );
    assert.deepEqual(
      store.changesSince(1)?.map((c) => c.revision),
      [2, 3, 4, 5],
    );
  });

  it("reach the same revisions, rows and engine as writes committed at once", async () => {
    const at = seeded();
    const sliced = seeded(slicedAlways);
    const writes: ObjectWrite[][] = [
      [excepts("a", 50)],
      [{ kind: "endpoint", op: "upsert", value: pod("x", "c", { app: "c" }) }],
      // Refused: the address of x/a.
      [
        {
          kind: "endpoint",
          op: "upsert",
          value: { ...pod("x", "d", {}), ips: at.store.engine.endpoints.get("x/a")!.endpoint.ips },
        },
      ],
      [excepts("a", 20), { kind: "namespace", op: "upsert", value: ns("y", { team: "t" }) }],
      [{ kind: "policy", op: "delete", namespace: "x", name: "a" }],
      [{ kind: "namespace", op: "delete", name: "x" }],
    ];
    for (const w of writes) {
      let atOnce: unknown;
      try {
        atOnce = at.store.commit(w, byRoute).revision;
      } catch (err) {
        atOnce = (err as StoreError).code;
      }
      const inSlices = await sliced.store.submit(w, byRoute).then(
        (r) => r.revision,
        (err: StoreError) => err.code,
      );
      assert.equal(inSlices, atOnce);
    }
    assert.deepEqual(sliced.store.changesSince(0), at.store.changesSince(0));
    assert.deepEqual(sliced.store.engine.nodeState("node-a"), at.store.engine.nodeState("node-a"));
    assert.deepEqual(sliced.store.engine.allocationsSnapshot(), at.store.engine.allocationsSnapshot());
    // The rows too (a sliced write deletes released allocations after its commit).
    const rows = (s: typeof at) =>
      s.database.sqlite.prepare("SELECT kind, key, id FROM allocations ORDER BY kind, key").all();
    assert.deepEqual(rows(sliced), rows(at));
  });

  it("slice a write that names many prefixes from the start, and commit small ones at once", async () => {
    const { store } = seeded();
    const sliced: number[] = [];
    const commitSliced = store.commitSliced.bind(store);
    store.commitSliced = (item) => {
      sliced.push(store.revision());
      return commitSliced(item);
    };
    await store.submit([excepts("small", 10)], byRoute);
    assert.deepEqual(sliced, [], "a small write commits in its group");
    const outcome = store.commitWithin(
      [{ writes: [excepts("many", 1_100)], ...byRoute }],
      performance.now() + 1e6,
    );
    assert.deepEqual(
      outcome,
      { outcomes: [], overran: true },
      "not tried in a group however long the budget",
    );
    assert.equal(store.engine.policies.size, 1);
    const r = await store.submit([excepts("many", 1_100)], byRoute);
    assert.deepEqual(sliced, [2]);
    assert.equal(r.revision, 3);
  });

  it("answer a committed write with its revision even when what follows the commit fails", async () => {
    const logged: Record<string, unknown>[] = [];
    let armed = false;
    const { database, store } = seeded({
      ...slicedAlways,
      onCommit: () => {
        if (armed) throw new Error("subscriber failed");
      },
      log: (line) => logged.push(line),
    });
    armed = true;
    const r = await store.submit([excepts("wide", 50)], byRoute);
    assert.equal(r.revision, 2);
    assert.equal(store.revision(), 2);
    assert.deepEqual(
      logged.map((l) => [l.level, l.error]),
      [["warn", "Error: subscriber failed"]],
    );
    assert.deepEqual(new Store(database).engine.nodeState("node-a"), store.engine.nodeState("node-a"));
  });

  it("store a large change set deflated, and read it back whole", async () => {
    const { database, store } = seeded();
    const atOnce = store.commit([excepts("wide", 17_000)], byRoute);
    const sliced = await store.submit([excepts("wide2", 17_000, 100_000)], byRoute);
    const stored = database.sqlite
      .prepare("SELECT changes FROM revisions WHERE revision >= 2 ORDER BY revision")
      .pluck()
      .all();
    assert.ok(
      stored.every((v) => Buffer.isBuffer(v)),
      "both are blobs",
    );
    assert.deepEqual(store.changesSince(1), [
      { revision: 2, changes: atOnce.changes },
      { revision: 3, changes: sliced.changes },
    ]);
    // The allocations (17,000 prefixes each, written by one statement) load back the same ids.
    const reloaded = new Store(database).engine;
    assert.deepEqual(reloaded.allocationsSnapshot(), store.engine.allocationsSnapshot());
    assert.deepEqual(reloaded.nodeState("node-a"), store.engine.nodeState("node-a"));
  });
});
