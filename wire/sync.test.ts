import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { endpointKey, ipcacheKey, type NodeDelta, policyKey } from "./entries.ts";
import { mergeDeltas, parseAgentMessage } from "./sync.ts";

const keys = { ipcache: ipcacheKey, endpoints: endpointKey, policies: policyKey };
const empty = (): NodeDelta => ({
  ipcache: { upsert: [], remove: [] },
  endpoints: { upsert: [], remove: [] },
  policies: { upsert: [], remove: [] },
});

describe("sync protocol", () => {
  it("accepts a valid hello and refuses unknown fields and types", () => {
    const hello = { type: "hello", protocol: 1, node: "n1", agentVersion: "0.1.0", appliedRevision: null };
    assert.equal(parseAgentMessage(JSON.stringify(hello)).ok, true);
    assert.equal(parseAgentMessage(JSON.stringify({ ...hello, extra: 1 })).ok, false);
    assert.equal(parseAgentMessage(JSON.stringify({ type: "launch" })).ok, false);
    assert.equal(parseAgentMessage("{").ok, false);
  });

  it("merges consecutive deltas so the last operation on a key wins", () => {
    const a = empty();
    a.ipcache.upsert.push({ prefix: "10.0.0.1/32", identity: 300, prefixIdentity: 0 });
    const b = empty();
    b.ipcache.remove.push({ prefix: "10.0.0.1/32", identity: 300, prefixIdentity: 0 });
    b.ipcache.upsert.push({ prefix: "10.0.0.2/32", identity: 301, prefixIdentity: 0 });
    const c = empty();
    c.ipcache.upsert.push({ prefix: "10.0.0.2/32", identity: 302, prefixIdentity: 0 });
    const merged = mergeDeltas([a, b, c], keys);
    assert.deepEqual(
      merged.ipcache.remove.map((e) => e.prefix),
      ["10.0.0.1/32"],
    );
    assert.deepEqual(merged.ipcache.upsert, [{ prefix: "10.0.0.2/32", identity: 302, prefixIdentity: 0 }]);
  });
});
