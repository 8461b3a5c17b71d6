// Group commit: writes submitted together share one SQLite transaction, each keeps its own
// revision, a refused one fails alone, and what was committed is what a restart loads.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openTestDatabase } from "../../db/testing.ts";
import { ns, pod, policy } from "../policy/compiler/testing.ts";
import { StoreError } from "./errors.ts";
import type { CommitOrigin } from "./origin.ts";
import { Store } from "./store.ts";

const byRoute: { origin: CommitOrigin } = { origin: { kind: "object" } };

/** Counts the transactions the store opens for grouped writes. */
function counted(store: Store): { batches: number[] } {
  const seen = { batches: [] as number[] };
  const commitWithin = store.commitWithin.bind(store);
  store.commitWithin = (items, deadline) => {
    seen.batches.push(items.length);
    return commitWithin(items, deadline);
  };
  return seen;
}

describe("group commit", () => {
  it("commits writes submitted together in one transaction, one revision each, in order", async () => {
    const store = new Store(openTestDatabase());
    store.commit([{ kind: "namespace", op: "upsert", value: ns("x") }], byRoute);
    const seen = counted(store);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.submit(
          [{ kind: "policy", op: "upsert", value: policy("x", `p${i}`, {}), submitted: {} }],
          byRoute,
        ),
      ),
    );
    assert.deepEqual(seen.batches, [20]);
    assert.deepEqual(
      results.map((r) => r.revision),
      Array.from({ length: 20 }, (_, i) => 2 + i),
    );
    assert.equal(store.revision(), 21);
    assert.deepEqual(
      store.changesSince(1)?.map((c) => c.revision),
      results.map((r) => r.revision),
    );
  });

  it("fails a refused write alone and keeps the others, in the rows and in the engine", async () => {
    const database = openTestDatabase();
    const store = new Store(database);
    store.commit([{ kind: "namespace", op: "upsert", value: ns("x") }], byRoute);
    const a = pod("x", "a", { app: "a" });
    const clash = { ...pod("x", "b", { app: "b" }), ips: a.ips };
    const c = pod("x", "c", { app: "c" });
    const seen = counted(store);
    const [ra, rb, rc, rd] = await Promise.allSettled([
      store.submit([{ kind: "endpoint", op: "upsert", value: a }], byRoute),
      store.submit([{ kind: "endpoint", op: "upsert", value: clash }], byRoute),
      store.submit([{ kind: "endpoint", op: "upsert", value: c }], byRoute),
      store.submit([{ kind: "endpoint", op: "upsert", value: pod("nope", "d", {}) }], byRoute),
    ]);
    assert.deepEqual(seen.batches, [4]);
    assert.equal(ra.status === "fulfilled" && ra.value.revision, 2);
    assert.ok(rb.status === "rejected" && rb.reason instanceof StoreError);
    assert.equal((rb as PromiseRejectedResult).reason.code, "endpoint.ip_conflict");
    assert.equal(rc.status === "fulfilled" && rc.value.revision, 3, "the next write takes the next revision");
    assert.equal(rd.status === "rejected" && (rd.reason as StoreError).code, "namespace.not_found");
    assert.equal(store.revision(), 3);
    assert.deepEqual([...store.engine.endpoints.keys()].sort(), ["x/a", "x/c"]);
    // What the engine holds is what a restart loads from the rows.
    const reloaded = new Store(database);
    assert.equal(reloaded.revision(), 3);
    assert.deepEqual([...reloaded.engine.endpoints.keys()].sort(), ["x/a", "x/c"]);
    assert.deepEqual(reloaded.engine.nodeState("node-a"), store.engine.nodeState("node-a"));
  });

  it("a write whose transaction hook fails is undone alone", async () => {
    const database = openTestDatabase();
    const store = new Store(database, {
      inTransaction: (r) => {
        if (r.written.some((w) => w.name === "bad")) throw new Error("hook refused");
      },
    });
    store.commit([{ kind: "namespace", op: "upsert", value: ns("x") }], byRoute);
    const outcomes = await Promise.allSettled(
      ["good1", "bad", "good2"].map((name) =>
        store.submit(
          [{ kind: "policy", op: "upsert", value: policy("x", name, {}), submitted: {} }],
          byRoute,
        ),
      ),
    );
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ["fulfilled", "rejected", "fulfilled"],
    );
    assert.deepEqual([...store.engine.policies.keys()].sort(), ["x/good1", "x/good2"]);
    assert.deepEqual([...new Store(database).engine.policies.keys()].sort(), ["x/good1", "x/good2"]);
  });

  it("a lone write is committed on its own", async () => {
    const store = new Store(openTestDatabase());
    const seen = counted(store);
    const r = await store.submit([{ kind: "namespace", op: "upsert", value: ns("solo") }], byRoute);
    assert.equal(r.revision, 1);
    assert.deepEqual(seen.batches, [1]);
  });
});
