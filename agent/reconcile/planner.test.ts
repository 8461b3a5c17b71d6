// Table tests of the reconcile planner: which steps, in which order, for each kind of change.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NodeState } from "../../wire/entries.ts";
import { ep, ip, pol } from "../../wire/testing.ts";
import type { DatapathState } from "../datapath/datapath.ts";
import { planReconcile } from "./planner.ts";

const empty = (): DatapathState => ({ ipcache: [], endpoints: [], policies: [], attached: [] });
const desired = (s: Partial<NodeState>): NodeState => ({ ipcache: [], endpoints: [], policies: [], ...s });

describe("reconcile planner", () => {
  it("states that already agree give an empty plan", () => {
    const state = { ipcache: [ip("10.0.0.1/32", 300)], endpoints: [ep("a")], policies: [pol()] };
    assert.deepEqual(planReconcile(state, { ...state, attached: ["a"] }), []);
    assert.deepEqual(planReconcile(desired({}), empty()), []);
  });

  it("a new endpoint gets its policy entries, then its endpoint entry, then its programs", () => {
    const plan = planReconcile(
      desired({ ipcache: [ip("10.0.0.1/32", 300)], endpoints: [ep("a")], policies: [pol()] }),
      empty(),
    );
    assert.deepEqual(
      plan.map((s) => s.op),
      ["upsert_policies", "upsert_ipcache", "upsert_endpoints", "attach"],
    );
    assert.deepEqual(plan[3], { op: "attach", interfaces: ["a"] });
  });

  it("an endpoint that goes is detached before its entry is removed, and its policy entries go last", () => {
    const actual = {
      ipcache: [ip("10.0.0.1/32", 300)],
      endpoints: [ep("a")],
      policies: [pol()],
      attached: ["a"],
    };
    const plan = planReconcile(desired({}), actual);
    assert.deepEqual(
      plan.map((s) => s.op),
      ["detach", "remove_endpoints", "remove_ipcache", "remove_policies"],
    );
  });

  it("tightening isolation writes the allow entries before the endpoint becomes isolated", () => {
    const actual = { ...empty(), endpoints: [ep("a", { ingressIsolated: false })], attached: ["a"] };
    const plan = planReconcile(desired({ endpoints: [ep("a")], policies: [pol()] }), actual);
    assert.deepEqual(
      plan.map((s) => s.op),
      ["upsert_policies", "upsert_endpoints"],
    );
  });

  it("a peer whose identity changes gets the new allow entry before its ipcache entry changes, and the old one is removed after", () => {
    const actual = {
      ...empty(),
      ipcache: [ip("10.0.0.2/32", 300)],
      policies: [pol({ remoteIdentity: 300 })],
    };
    const plan = planReconcile(
      desired({ ipcache: [ip("10.0.0.2/32", 301)], policies: [pol({ remoteIdentity: 301 })] }),
      actual,
    );
    assert.deepEqual(plan, [
      { op: "upsert_policies", entries: [pol({ remoteIdentity: 301 })] },
      { op: "upsert_ipcache", entries: [ip("10.0.0.2/32", 301)] },
      {
        op: "remove_policies",
        keys: [
          {
            policySetId: 1,
            direction: "ingress",
            remoteIdentity: 300,
            protocol: 6,
            port: 80,
            portPrefixLen: 16,
          },
        ],
      },
    ]);
  });

  it("ipcache upserts go longest prefix first and removals shortest prefix first", () => {
    const plan = planReconcile(
      desired({ ipcache: [ip("10.0.0.0/8", 2), ip("10.1.2.3/32", 300), ip("10.1.0.0/16", 2)] }),
      { ...empty(), ipcache: [ip("11.1.1.1/32", 5), ip("11.0.0.0/8", 5), ip("11.1.0.0/16", 5)] },
    );
    assert.deepEqual(plan[0], {
      op: "upsert_ipcache",
      entries: [ip("10.1.2.3/32", 300), ip("10.1.0.0/16", 2), ip("10.0.0.0/8", 2)],
    });
    assert.deepEqual(plan[1], {
      op: "remove_ipcache",
      prefixes: ["11.0.0.0/8", "11.1.0.0/16", "11.1.1.1/32"],
    });
  });

  it("desired entries are compared in canonical form, so host bits and port bits past the prefix cause no churn", () => {
    const actual = {
      ...empty(),
      ipcache: [ip("10.1.0.0/16", 2)],
      policies: [pol({ port: 8080, portPrefixLen: 15 })],
    };
    const plan = planReconcile(
      desired({ ipcache: [ip("10.1.2.3/16", 2)], policies: [pol({ port: 8081, portPrefixLen: 15 })] }),
      actual,
    );
    assert.deepEqual(plan, []);
  });

  it("a changed value under the same key is an upsert, never a remove and add", () => {
    const actual = { ...empty(), policies: [pol({ policyId: 1 })], ipcache: [ip("10.0.0.1/32", 300)] };
    const plan = planReconcile(
      desired({ policies: [pol({ policyId: 2 })], ipcache: [ip("10.0.0.1/32", 300, 77)] }),
      actual,
    );
    assert.deepEqual(
      plan.map((s) => s.op),
      ["upsert_policies", "upsert_ipcache"],
    );
  });

  it("attachments and entries of interfaces that vanished (#ifindex) are removed, and missing attachments are repaired", () => {
    const actual = { ...empty(), endpoints: [ep("#42"), ep("a")], attached: ["#42"] };
    const plan = planReconcile(desired({ endpoints: [ep("a")] }), actual);
    assert.deepEqual(plan, [
      { op: "attach", interfaces: ["a"] },
      { op: "detach", interfaces: ["#42"] },
      { op: "remove_endpoints", interfaces: ["#42"] },
    ]);
  });

  it("when the desired state names a key twice, the later entry wins", () => {
    const plan = planReconcile(
      desired({ ipcache: [ip("10.0.0.1/32", 300), ip("10.0.0.1/32", 301)] }),
      empty(),
    );
    assert.deepEqual(plan, [{ op: "upsert_ipcache", entries: [ip("10.0.0.1/32", 301)] }]);
  });
});
