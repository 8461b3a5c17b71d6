// The name catalog knows ClusterNetworkPolicies by their own kind and name, from the first catalog
// and through commits that write or delete them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clusterPolicyKey } from "../policy/compiler/cluster-policies.ts";
import { cnp, compile, ns, pod } from "../policy/compiler/testing.ts";
import { NameTracker } from "./names.ts";

describe("NameTracker and cluster policies", () => {
  it("names a cluster policy by kind ClusterNetworkPolicy, and follows its upsert and delete", () => {
    const engine = compile([ns("x"), pod("x", "a", { app: "a" }), cnp("deny-all", {})]);
    const tracker = new NameTracker(() => engine);
    const id = engine.policies.get(clusterPolicyKey("deny-all"))!.id;
    assert.deepEqual(tracker.catalog().policies, [
      { id, kind: "ClusterNetworkPolicy", namespace: "", name: "deny-all" },
    ]);

    engine.apply([
      { kind: "clusterpolicy", op: "upsert", id: 9, value: cnp("baseline", { tier: "Baseline" }) },
    ]);
    const added = tracker.onCommit([{ kind: "clusterpolicy", op: "created", name: "baseline" }]);
    assert.deepEqual(
      added?.policies?.upsert.map((p) => [p.kind, p.namespace, p.name]),
      [["ClusterNetworkPolicy", "", "baseline"]],
    );

    engine.apply([{ kind: "clusterpolicy", op: "delete", name: "baseline" }]);
    const removed = tracker.onCommit([{ kind: "clusterpolicy", op: "deleted", name: "baseline" }]);
    assert.deepEqual(removed?.policies?.remove, [
      { kind: "ClusterNetworkPolicy", namespace: "", name: "baseline" },
    ]);
  });
});
