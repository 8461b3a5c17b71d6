// Tests of composing the desired state from a snapshot and deltas.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NodeDelta } from "../../wire/entries.ts";
import { applyDelta, emptyState } from "./desired.ts";

const delta = (over: Partial<NodeDelta>): NodeDelta => ({
  ipcache: { upsert: [], remove: [] },
  endpoints: { upsert: [], remove: [] },
  policies: { upsert: [], remove: [] },
  ...over,
});

describe("desired state", () => {
  it("a delta removes keys, then upserts, so a key in both ends up with the upserted value", () => {
    const base = { ...emptyState(), ipcache: [{ prefix: "10.0.0.1/32", identity: 300, prefixIdentity: 0 }] };
    const next = applyDelta(
      base,
      delta({
        ipcache: {
          remove: [{ prefix: "10.0.0.1/32", identity: 300, prefixIdentity: 0 }],
          upsert: [{ prefix: "10.0.0.1/32", identity: 301, prefixIdentity: 0 }],
        },
      }),
    );
    assert.deepEqual(next.ipcache, [{ prefix: "10.0.0.1/32", identity: 301, prefixIdentity: 0 }]);
    assert.deepEqual(base.ipcache[0]!.identity, 300, "the input is not modified");
  });

  it("a removal names its key in any textual form of the same prefix or port prefix", () => {
    const base = {
      ...emptyState(),
      ipcache: [{ prefix: "10.1.0.0/16", identity: 2, prefixIdentity: 0 }],
      policies: [
        {
          policySetId: 1,
          direction: "ingress" as const,
          remoteIdentity: 0,
          protocol: 6,
          port: 8080,
          portPrefixLen: 15,
          verdict: "allow" as const,
          policyId: 1,
          ruleIndex: 0,
        },
      ],
    };
    const next = applyDelta(
      base,
      delta({
        ipcache: { upsert: [], remove: [{ prefix: "10.1.2.3/16", identity: 2, prefixIdentity: 0 }] },
        policies: { upsert: [], remove: [{ ...base.policies[0]!, port: 8081 }] },
      }),
    );
    assert.deepEqual([next.ipcache, next.policies], [[], []]);
  });
});
