import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManualClock } from "../../lib/testing/manual-clock.ts";
import { NodeEventLimiter, type NodeEventType } from "./event-limiter.ts";

function limiter(burst: number, perMinute: number) {
  const clock = new ManualClock(0);
  const dropped: NodeEventType[] = [];
  const l = new NodeEventLimiter<string>({ burst, perMinute }, (t) => dropped.push(t), clock);
  return { l, clock, dropped };
}

describe("node event limiter", () => {
  it("delivers a burst per node and kind, then holds back and counts what it drops", () => {
    const { l, dropped } = limiter(2, 6);
    assert.deepEqual(l.offer("n1", "node.connected", "c1"), { event: "c1", suppressed: 0 });
    assert.deepEqual(l.offer("n1", "node.disconnected", "d1"), { event: "d1", suppressed: 0 });
    assert.equal(l.offer("n1", "node.connected", "c2"), null, "connection events share one bucket");
    assert.deepEqual(
      l.offer("n1", "node.nack", "k1"),
      { event: "k1", suppressed: 0 },
      "nacks have their own",
    );
    assert.deepEqual(l.offer("n2", "node.connected", "other"), { event: "other", suppressed: 0 }, "per node");
    assert.equal(l.offer("n1", "node.disconnected", "d2"), null);
    assert.deepEqual(dropped, ["node.connected"], "c2 was superseded by d2, which is held");
  });

  it("delivers the newest held event once the bucket refills, with the count it stands for", () => {
    const { l, clock, dropped } = limiter(1, 6);
    l.offer("n1", "node.connected", "c1");
    for (let i = 0; i < 5; i++) {
      assert.equal(l.offer("n1", "node.disconnected", `d${i}`), null);
      assert.equal(l.offer("n1", "node.connected", `c${i}`), null);
    }
    assert.equal(l.offer("n1", "node.disconnected", "last"), null);
    assert.deepEqual(l.flush(), [], "no token yet");
    clock.advance(10_000);
    assert.deepEqual(l.flush(), [{ event: "last", suppressed: 10 }]);
    assert.equal(dropped.length, 10);
    assert.deepEqual(l.flush(), [], "delivered once");
  });

  it("a new event once the bucket refills supersedes the held one and carries its count", () => {
    const { l, clock } = limiter(1, 6);
    l.offer("n1", "node.nack", "k1");
    assert.equal(l.offer("n1", "node.nack", "k2"), null);
    clock.advance(10_000);
    assert.deepEqual(l.offer("n1", "node.nack", "k3"), { event: "k3", suppressed: 1 });
    assert.deepEqual(l.flush(), []);
  });

  it("forgets buckets that are full and hold nothing", () => {
    const { l, clock } = limiter(2, 6);
    l.offer("n1", "node.connected", "c1");
    l.offer("n2", "node.nack", "k1");
    assert.equal(l.size, 2);
    clock.advance(10_000);
    l.flush();
    assert.equal(l.size, 0);
  });
});
