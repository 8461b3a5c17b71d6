import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NodeStatusWriter } from "./node-status.ts";

function recorder() {
  const writes: { node: string; status: Record<string, unknown>; tx: number }[] = [];
  let tx = 0;
  let inTx = 0;
  return {
    writes,
    transactions: () => tx,
    target: {
      update: (node: string, status: Record<string, unknown>) => writes.push({ node, status, tx: inTx }),
      transaction: (fn: () => void) => {
        tx++;
        inTx = tx;
        fn();
        inTx = 0;
      },
    },
  };
}

describe("NodeStatusWriter", () => {
  it("merges acks per node and writes them all in one transaction", () => {
    const r = recorder();
    const w = new NodeStatusWriter(r.target, 60_000);
    for (let rev = 1; rev <= 3; rev++)
      for (const n of ["a", "b"]) w.later(n, { appliedRevision: rev, lastSeenAt: `t${rev}` });
    assert.equal(r.writes.length, 0);
    w.flush();
    assert.equal(r.transactions(), 1);
    assert.deepEqual(
      r.writes.map((x) => [x.node, x.status.appliedRevision, x.tx]),
      [
        ["a", 3, 1],
        ["b", 3, 1],
      ],
    );
    w.close();
  });

  it("a direct write carries what was pending, so nothing older overwrites it later", () => {
    const r = recorder();
    const w = new NodeStatusWriter(r.target, 60_000);
    w.later("a", { appliedRevision: 4, lastError: null });
    w.now("a", { lastError: "revision 5: bad" });
    w.flush();
    assert.deepEqual(r.writes, [
      { node: "a", status: { appliedRevision: 4, lastError: "revision 5: bad" }, tx: 0 },
    ]);
    // The ack that clears a recorded error is written at once (the node view shows it cleared).
    w.later("a", { appliedRevision: 6, lastError: null });
    assert.deepEqual(r.writes.at(-1), { node: "a", status: { appliedRevision: 6, lastError: null }, tx: 0 });
    w.close();
  });

  it("writes a disconnecting node at once, and nothing after close", () => {
    const r = recorder();
    const w = new NodeStatusWriter(r.target, 60_000);
    w.later("a", { appliedRevision: 2 });
    w.flushNode("a");
    assert.equal(r.writes.length, 1);
    w.later("b", { appliedRevision: 2 });
    w.close();
    w.later("c", { appliedRevision: 3 });
    w.flush();
    assert.deepEqual(
      r.writes.map((x) => x.node),
      ["a", "b"],
    );
  });
});
