// Issue 10 section 1: identity keys must not grow with namespace label sets, and identities
// allocated under the older (label JSON) keys keep their ids after an upgrade.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ns, pod } from "../../api/policy/compiler/testing.ts";
import { labelsKey } from "../../api/policy/selectors.ts";
import { Store } from "../../api/store/store.ts";
import { openTestDatabase } from "../../db/testing.ts";

const byRoute = { origin: { kind: "object" as const } };

/** 64 labels of about 250 bytes each: the most a namespace may carry (about 16 KiB). */
function bigLabels(): Record<string, string> {
  return Object.fromEntries(
    Array.from({ length: 63 }, (_, i) => [`example.com/k${i}-${"x".repeat(170)}`, "v".repeat(63)]),
  );
}

function identityRows(store: Store): { key: string; id: number }[] {
  return store.database.sqlite.prepare("SELECT key, id FROM allocations WHERE kind = 'identity'").all() as {
    key: string;
    id: number;
  }[];
}

describe("identity keys", () => {
  it("are the same small size whatever the namespace's labels", () => {
    const store = new Store(openTestDatabase());
    store.commit([{ kind: "namespace", op: "upsert", value: ns("big", bigLabels()) }], byRoute);
    const pods = Array.from({ length: 50 }, (_, i) => pod("big", `p${i}`, { app: `a${i}` }));
    store.commit(
      pods.map((value) => ({ kind: "endpoint" as const, op: "upsert" as const, value })),
      byRoute,
    );
    const rows = identityRows(store);
    assert.equal(rows.length, 50);
    for (const row of rows) assert.ok(row.key.length <= 64, `identity key of ${row.key.length} characters`);
  });

  it("keeps the id of an identity stored under its older label-JSON key, and rewrites the row", () => {
    const database = openTestDatabase();
    const first = new Store(database);
    const namespace = ns("x", { team: "a" });
    const endpoint = pod("x", "e", { app: "web" });
    first.commit([{ kind: "namespace", op: "upsert", value: namespace }], byRoute);
    first.commit([{ kind: "endpoint", op: "upsert", value: endpoint }], byRoute);
    const identity = first.engine.endpoints.get("x/e")!.identity;
    // The row as an older version stored it: the canonical label JSON as the key.
    const legacy = JSON.stringify(["x", labelsKey(namespace.labels), labelsKey(endpoint.labels)]);
    database.sqlite
      .prepare("UPDATE allocations SET key = ? WHERE kind = 'identity' AND id = ?")
      .run(legacy, identity);

    const reopened = new Store(database);
    assert.equal(reopened.engine.endpoints.get("x/e")!.identity, identity);
    const rows = identityRows(reopened);
    assert.deepEqual(
      rows.map((r) => r.id),
      [identity],
    );
    assert.equal(rows[0]!.key.length, 64, "the legacy row was rewritten to the digest");
    // A later write of the same endpoint keeps the identity.
    reopened.commit([{ kind: "endpoint", op: "upsert", value: { ...endpoint } }], byRoute);
    assert.equal(reopened.engine.endpoints.get("x/e")!.identity, identity);
  });
});
