import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { eventsOfCommit } from "./events.ts";

describe("eventsOfCommit", () => {
  it("names NetworkPolicy writes policy.* and ClusterNetworkPolicy writes clusternetworkpolicy.*", () => {
    const drafts = eventsOfCommit(
      {
        revision: 7,
        written: [
          { kind: "policy", op: "created", namespace: "x", name: "p" },
          { kind: "clusterpolicy", op: "updated", name: "c" },
          { kind: "clusterpolicy", op: "deleted", name: "d" },
          { kind: "endpoint", op: "created", namespace: "x", name: "e" },
        ],
      },
      { kind: "object" },
    );
    assert.deepEqual(drafts, [
      { type: "policy.created", revision: 7, data: { namespace: "x", name: "p" } },
      { type: "clusternetworkpolicy.updated", revision: 7, data: { name: "c" } },
      { type: "clusternetworkpolicy.deleted", revision: 7, data: { name: "d" } },
    ]);
  });
});
