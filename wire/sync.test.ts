// Tests of parsing sync messages on both ends of the stream (wire/sync.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { emptyNodeDelta, emptyNodeState } from "./map-delta.ts";
import { parseAgentMessage, parseServerMessage } from "./sync.ts";

const hello = { type: "hello", protocol: 1, node: "n1", agentVersion: "0.1.0", appliedRevision: null };
const ip = { prefix: "10.0.0.1/32", identity: 300, prefixIdentity: 0 };
const snapshot = { type: "snapshot", revision: 5, state: { ...emptyNodeState(), ipcache: [ip] } };
const delta = { type: "delta", fromRevision: 5, toRevision: 6, delta: emptyNodeDelta() };
const parseServer = (m: unknown) => parseServerMessage(JSON.stringify(m));

describe("sync protocol", () => {
  it("accepts a valid hello and refuses unknown fields and types", () => {
    assert.equal(parseAgentMessage(JSON.stringify(hello)).ok, true);
    assert.equal(parseAgentMessage(JSON.stringify({ ...hello, extra: 1 })).ok, false);
    assert.equal(parseAgentMessage(JSON.stringify({ type: "launch" })).ok, false);
    assert.equal(parseAgentMessage("{").ok, false);
  });

  it("refuses a hello whose node is not a node name", () => {
    for (const node of ["", "Node-1", "-n1", "n1-", "n_1", "a..b", "x".repeat(254)]) {
      const parsed = parseAgentMessage(JSON.stringify({ ...hello, node }));
      assert.equal(parsed.ok, false, JSON.stringify(node));
      if (!parsed.ok) assert.match(parsed.reason, /^invalid message at node: /);
    }
    assert.equal(parseAgentMessage(JSON.stringify({ ...hello, node: "worker-1.eu" })).ok, true);
  });

  it("parses a server message with its entries, dropping fields it does not know", () => {
    const parsed = parseServer({
      ...snapshot,
      extra: 1,
      state: { ...snapshot.state, ipcache: [{ ...ip, x: 1 }] },
    });
    assert.deepEqual(parsed, { ok: true, message: snapshot });
    assert.deepEqual(parseServer(delta), { ok: true, message: delta });
  });

  it("refuses a server message whose envelope is wrong, with a reason for the close frame", () => {
    assert.deepEqual(parseServerMessage("{"), { ok: false, reason: "message is not JSON" });
    assert.deepEqual(parseServer({ type: "snapshot", revision: -1, state: emptyNodeState() }), {
      ok: false,
      reason: "invalid message at revision: Too small: expected number to be >=0",
    });
    const noMap = parseServer({ type: "snapshot", revision: 1, state: {} });
    assert.equal(noMap.ok, false);
    assert.equal(!noMap.ok && noMap.invalidEntries, undefined, "a missing map is no entry fault");
  });

  it("reports a snapshot or delta whose only faults are entries with its revision header", () => {
    const badIp = { ...ip, prefix: "not-a-prefix" };
    assert.deepEqual(parseServer({ ...snapshot, state: { ...snapshot.state, ipcache: [ip, badIp] } }), {
      ok: false,
      reason: "invalid entry at ipcache.1.prefix: must be a CIDR prefix",
      invalidEntries: { type: "snapshot", revision: 5 },
    });
    const badDelta = { ...delta, delta: { ...emptyNodeDelta(), ipcache: { upsert: [], remove: [badIp] } } };
    assert.deepEqual(parseServer(badDelta), {
      ok: false,
      reason: "invalid entry at ipcache.remove.0.prefix: must be a CIDR prefix",
      invalidEntries: { type: "delta", fromRevision: 5, toRevision: 6 },
    });
    const alsoBadRevision = parseServer({ ...badDelta, toRevision: -1 });
    assert.equal(
      !alsoBadRevision.ok && alsoBadRevision.invalidEntries,
      undefined,
      "then the message is broken",
    );
  });
});
