// The shared frames of a revision are the delta messages each node would have been sent on its
// own, and nodes with the same delta share one encoding.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deltaSchema, snapshotSchema } from "../../wire/sync.ts";
import { nodeDelta } from "../policy/compiler/change-set.ts";
import { PolicyEngine } from "../policy/compiler/engine.ts";
import type { Change } from "../policy/compiler/object-change.ts";
import { ns, pod, policy, sel } from "../policy/compiler/testing.ts";
import { EncodedRevision, SnapshotFrames } from "./fanout.ts";

const NODES = ["n1", "n2", "n3", "n4", "n5"];

function cluster(): PolicyEngine {
  const engine = new PolicyEngine();
  const changes: Change[] = [{ kind: "namespace", op: "upsert", value: ns("a") }];
  let id = 1;
  for (const node of NODES)
    for (const app of ["web", "db"])
      changes.push({
        kind: "endpoint",
        op: "upsert",
        id: id++,
        value: pod("a", `${app}-${node}`, { app }, { node }),
      });
  engine.apply(changes);
  return engine;
}

function check(
  encoded: EncodedRevision,
  changes: ReturnType<PolicyEngine["apply"]>["changes"],
  node: string,
) {
  const frame = encoded.frameFor(node);
  const parsed = deltaSchema.parse(JSON.parse(frame.toString()));
  assert.deepEqual(parsed, {
    type: "delta",
    fromRevision: encoded.revision - 1,
    toRevision: encoded.revision,
    delta: nodeDelta(changes, node),
  });
  return frame;
}

describe("EncodedRevision", () => {
  it("encodes a policy update once for every node holding the same sets", () => {
    const engine = cluster();
    const dbFromWeb = (port: number) => ({
      kind: "policy" as const,
      op: "upsert" as const,
      id: 100,
      value: policy("a", "db-from-web", {
        podSelector: sel({ app: "db" }),
        ingress: [
          { peers: [{ podSelector: sel({ app: "web" }) }], ports: [{ protocol: "TCP" as const, port }] },
        ],
      }),
    });
    engine.apply([dbFromWeb(5432)]);
    // The update changes the set every db endpoint holds, and no endpoint entry.
    const { changes } = engine.apply([dbFromWeb(5433)]);
    const encoded = new EncodedRevision(7, changes);
    const frames = NODES.map((n) => check(encoded, changes, n));
    assert.ok(
      frames.every((f) => f === frames[0]),
      "one shared frame",
    );
    assert.equal(encoded.encoded, 1);
    // A node the change does not touch gets the ipcache-only frame, also shared.
    const other = check(encoded, changes, "n-unrelated");
    assert.equal(check(encoded, changes, "n-unrelated-2"), other);
  });

  it("encodes a node's own endpoint changes for that node alone", () => {
    const engine = cluster();
    const moved = pod("a", "web-n1", { app: "web", v: "2" }, { node: "n1" });
    const { changes } = engine.apply([{ kind: "endpoint", op: "upsert", id: 1, value: moved }]);
    const encoded = new EncodedRevision(3, changes);
    const frames = new Map(NODES.map((n) => [n, check(encoded, changes, n)]));
    assert.notEqual(frames.get("n1"), frames.get("n2"));
    assert.ok(encoded.encoded < NODES.length + 1);
  });

  it("snapshot frames are each node's snapshot message, the ipcache serialized once per revision", () => {
    const engine = cluster();
    const frames = new SnapshotFrames();
    for (const node of NODES) {
      const state = engine.nodeState(node);
      const parsed = snapshotSchema.parse(JSON.parse(frames.frame(9, state).toString()));
      assert.deepEqual(parsed, { type: "snapshot", revision: 9, state });
    }
    // A new revision does not reuse the old ipcache.
    engine.apply([{ kind: "endpoint", op: "delete", namespace: "a", name: "web-n1" }]);
    const state = engine.nodeState("n2");
    assert.deepEqual(JSON.parse(frames.frame(10, state).toString()).state.ipcache, state.ipcache);
  });
});

describe("frames with names (agents that announced FEATURE_FLOWS)", () => {
  it("carry the revision's names delta only when asked, and share frames per kind of agent", () => {
    const engine = cluster();
    const { changes } = engine.apply([
      { kind: "endpoint", op: "upsert", id: 50, value: pod("a", "extra", { app: "web" }, { node: "n1" }) },
    ]);
    const names = {
      policies: { upsert: [], remove: [] },
      endpoints: { upsert: [], remove: [{ namespace: "a", name: "gone" }] },
    };
    const encoded = new EncodedRevision(7, changes, names);
    const plain = deltaSchema.parse(JSON.parse(encoded.frameFor("n2").toString()));
    const named = deltaSchema.parse(JSON.parse(encoded.frameFor("n2", true).toString()));
    assert.equal(plain.names, undefined);
    assert.deepEqual(named.names, names);
    assert.deepEqual(named.delta, plain.delta);
    assert.equal(encoded.frameFor("n3", true), encoded.frameFor("n2", true));
    assert.notEqual(encoded.frameFor("n3", true), encoded.frameFor("n3"));
    // A revision that changed no name sends none, asked or not.
    const quiet = new EncodedRevision(8, changes);
    assert.equal(deltaSchema.parse(JSON.parse(quiet.frameFor("n2", true).toString())).names, undefined);
  });

  it("a snapshot carries the catalog when asked", () => {
    const engine = cluster();
    const catalog = { policies: [], endpoints: [] };
    const frames = new SnapshotFrames();
    const state = engine.nodeState("n1");
    const withNames = snapshotSchema.parse(JSON.parse(frames.frame(3, state, () => catalog).toString()));
    const without = snapshotSchema.parse(JSON.parse(frames.frame(3, state).toString()));
    assert.deepEqual(withNames.names, catalog);
    assert.equal(without.names, undefined);
    assert.deepEqual(withNames.state, without.state);
  });
});
