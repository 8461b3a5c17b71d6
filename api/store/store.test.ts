import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openDatabase } from "../../db/client.ts";
import { openTestDatabase } from "../../db/testing.ts";
import { ns, pod, policy } from "../policy/compiler/testing.ts";
import { StoreError } from "./errors.ts";
import type { CommitOrigin } from "./origin.ts";
import { Store } from "./store.ts";

/** The origin of these commits: as if each came from an object's own route. */
const byRoute: { origin: CommitOrigin } = { origin: { kind: "object" } };

describe("Store", () => {
  it("gives every commit exactly one revision and records its change set", () => {
    const store = new Store(openTestDatabase());
    assert.equal(store.revision(), 0);
    const r1 = store.commit([{ kind: "namespace", op: "upsert", value: ns("x") }], byRoute);
    const r2 = store.commit(
      [
        { kind: "endpoint", op: "upsert", value: pod("x", "a", { app: "a" }) },
        {
          kind: "policy",
          op: "upsert",
          value: policy("x", "deny", {}),
          submitted: { kind: "NetworkPolicy" },
        },
      ],
      byRoute,
    );
    assert.deepEqual([r1.revision, r2.revision, store.revision()], [1, 2, 2]);
    assert.equal(r2.changes.nodes["node-a"]?.endpoints.upsert[0]?.ingressIsolated, true);
    assert.deepEqual(
      store.changesSince(0)?.map((c) => c.revision),
      [1, 2],
    );
  });

  it("writes nothing when one object of a batch is refused", () => {
    const store = new Store(openTestDatabase());
    store.commit([{ kind: "namespace", op: "upsert", value: ns("x") }], byRoute);
    const a = pod("x", "a", {});
    store.commit([{ kind: "endpoint", op: "upsert", value: a }], byRoute);
    const clash = { ...pod("x", "b", {}), ips: a.ips };
    assert.throws(
      () =>
        store.commit(
          [
            { kind: "policy", op: "upsert", value: policy("x", "p", {}), submitted: {} },
            { kind: "endpoint", op: "upsert", value: clash },
          ],
          byRoute,
        ),
      (err: unknown) =>
        err instanceof StoreError && err.code === "endpoint.ip_conflict" && err.status === 409,
    );
    assert.equal(store.revision(), 2);
    assert.equal(store.engine.policies.size, 0, "the engine was rebuilt without the refused batch");
    assert.equal(store.engine.nodeState("node-a").endpoints[0]?.ingressIsolated, false);
  });

  it("refuses objects in a namespace that does not exist with 404", () => {
    const store = new Store(openTestDatabase());
    assert.throws(
      () => store.commit([{ kind: "endpoint", op: "upsert", value: pod("nope", "a", {}) }], byRoute),
      (err: unknown) => err instanceof StoreError && err.status === 404 && err.code === "namespace.not_found",
    );
  });

  it("deleting a namespace deletes its endpoints and policies in the same revision", () => {
    const store = new Store(openTestDatabase());
    store.commit([{ kind: "namespace", op: "upsert", value: ns("x") }], byRoute);
    store.commit(
      [
        { kind: "endpoint", op: "upsert", value: pod("x", "a", {}) },
        { kind: "policy", op: "upsert", value: policy("x", "p", {}), submitted: {} },
      ],
      byRoute,
    );
    const r = store.commit([{ kind: "namespace", op: "delete", name: "x" }], byRoute);
    assert.deepEqual(
      r.written.map((w) => `${w.kind}:${w.op}`),
      ["policy:deleted", "endpoint:deleted", "namespace:deleted"],
    );
    assert.equal(store.engine.endpoints.size, 0);
  });

  it("keeps identities and policy-set ids stable across a restart", () => {
    const dir = mkdtempSync(join(tmpdir(), "palisade-store-"));
    try {
      const path = join(dir, "p.db");
      const first = new Store(openDatabase(path));
      first.commit([{ kind: "namespace", op: "upsert", value: ns("x") }], byRoute);
      first.commit(
        [
          { kind: "endpoint", op: "upsert", value: pod("x", "a", { app: "a" }) },
          { kind: "endpoint", op: "upsert", value: pod("x", "b", { app: "b" }) },
          {
            kind: "policy",
            op: "upsert",
            value: policy("x", "p", {
              ingress: [{ peers: [{ ipBlock: { cidr: "10.0.0.0/8", except: [] } }], ports: [] }],
            }),
            submitted: {},
          },
        ],
        byRoute,
      );
      first.commit([{ kind: "endpoint", op: "delete", namespace: "x", name: "a" }], byRoute);
      const before = first.engine.nodeState("node-a");
      first.database.close();
      const second = new Store(openDatabase(path));
      assert.deepEqual(second.engine.nodeState("node-a"), before);
      second.database.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers a compacted log with null so the caller sends a snapshot", () => {
    const store = new Store(openTestDatabase());
    for (const name of ["a", "b", "c"])
      store.commit([{ kind: "namespace", op: "upsert", value: ns(name) }], byRoute);
    store.compact(2);
    assert.equal(store.changesSince(1), null);
    assert.deepEqual(
      store.changesSince(2)?.map((c) => c.revision),
      [3],
    );
  });
});

describe("Store capacity", () => {
  it("refuses a change that would overflow a node's policy map, and keeps the last good state", () => {
    const store = new Store(openTestDatabase(), { mapSizes: { ipcache: 100, endpoints: 10, policies: 3 } });
    store.commit([{ kind: "namespace", op: "upsert", value: ns("x") }], byRoute);
    store.commit([{ kind: "endpoint", op: "upsert", value: pod("x", "a", { app: "a" }) }], byRoute);
    const ports = [80, 81, 82, 83].map((port) => ({ protocol: "TCP" as const, port }));
    const tooBig = policy("x", "p", { ingress: [{ peers: [], ports }] });
    assert.throws(
      () => store.commit([{ kind: "policy", op: "upsert", value: tooBig, submitted: {} }], byRoute),
      (err: unknown) => err instanceof StoreError && err.code === "capacity.exceeded" && err.status === 409,
    );
    assert.equal(store.revision(), 2);
    assert.equal(store.engine.nodeState("node-a").policies.length, 0);
    const fits = policy("x", "p", { ingress: [{ peers: [], ports: ports.slice(0, 3) }] });
    assert.equal(
      store.commit([{ kind: "policy", op: "upsert", value: fits, submitted: {} }], byRoute).revision,
      3,
    );
  });

  it("refuses an endpoint beyond the node's endpoint map", () => {
    const store = new Store(openTestDatabase(), { mapSizes: { ipcache: 100, endpoints: 1, policies: 100 } });
    store.commit([{ kind: "namespace", op: "upsert", value: ns("x") }], byRoute);
    store.commit([{ kind: "endpoint", op: "upsert", value: pod("x", "a", {}) }], byRoute);
    assert.throws(
      () => store.commit([{ kind: "endpoint", op: "upsert", value: pod("x", "b", {}) }], byRoute),
      (err: unknown) => err instanceof StoreError && err.code === "capacity.exceeded",
    );
  });
});

describe("Store log retention", () => {
  it("compacts the log beyond the retention, so old revisions need a snapshot", () => {
    const store = new Store(openTestDatabase(), { logRetention: 10 });
    for (let i = 0; i < 64; i++)
      store.commit([{ kind: "namespace", op: "upsert", value: ns(`n${i}`) }], byRoute);
    assert.equal(store.changesSince(10), null);
    assert.equal(store.changesSince(54)?.length, 10);
  });
});

describe("Store transaction hook", () => {
  it("runs inside the commit: what it writes commits with the change, and its failure rolls everything back", () => {
    const database = openTestDatabase();
    database.sqlite.exec("CREATE TABLE side (revision INTEGER)");
    let fail = false;
    const store = new Store(database, {
      inTransaction: (r) => {
        database.sqlite.prepare("INSERT INTO side VALUES (?)").run(r.revision);
        if (fail) throw new Error("hook failed");
      },
    });
    store.commit([{ kind: "namespace", op: "upsert", value: ns("x") }], byRoute);
    fail = true;
    assert.throws(
      () => store.commit([{ kind: "namespace", op: "upsert", value: ns("y") }], byRoute),
      /hook failed/,
    );
    assert.deepEqual(database.sqlite.prepare("SELECT revision FROM side").pluck().all(), [1]);
    assert.equal(store.revision(), 1);
    assert.equal(store.engine.namespaces.has("y"), false);
  });
});
