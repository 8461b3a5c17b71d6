import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MinHeap } from "./min-heap.ts";
import { NONE, RevisionFloor, Waiters } from "./waiters.ts";

describe("MinHeap", () => {
  it("pops in order whatever the push order", () => {
    const h = new MinHeap<number>((a, b) => a < b);
    const input = Array.from({ length: 200 }, (_, i) => (i * 7919) % 211);
    for (const x of input) h.push(x);
    const out: number[] = [];
    while (h.size > 0) out.push(h.pop()!);
    assert.deepEqual(
      out,
      [...input].sort((a, b) => a - b),
    );
  });
});

describe("RevisionFloor", () => {
  it("tracks the lowest revision as nodes move, leave and come back", () => {
    const f = new RevisionFloor();
    assert.equal(f.min(), Number.POSITIVE_INFINITY);
    f.set("a", NONE);
    f.set("b", 3);
    assert.equal(f.min(), NONE);
    f.set("a", 5);
    assert.equal(f.min(), 3);
    f.set("b", 5);
    assert.equal(f.min(), 5);
    f.set("c", 4);
    assert.equal(f.min(), 4);
    f.delete("c");
    assert.equal(f.min(), 5);
    // A key that emptied and filled again before min() saw it counts once.
    f.set("a", 6);
    f.set("b", 6);
    f.set("a", 5);
    assert.equal(f.min(), 5);
    f.delete("a");
    assert.equal(f.min(), 6);
    f.delete("b");
    assert.equal(f.size, 0);
    assert.equal(f.min(), Number.POSITIVE_INFINITY);
  });
});

describe("Waiters", () => {
  it("answers the waits up to a revision, per node and fleet-wide, and times out the rest", async () => {
    const w = new Waiters();
    const answers: string[] = [];
    const track = (name: string, p: Promise<boolean>) => p.then((ok) => answers.push(`${name}:${ok}`));
    const all = [
      track("n1@3", w.wait(3, 5000, "n1")),
      track("n1@5", w.wait(5, 5000, "n1")),
      track("n2@3", w.wait(3, 5000, "n2")),
      track("fleet@4", w.wait(4, 5000, undefined)),
      track("fleet@9", w.wait(9, 50, undefined)),
    ];
    w.settleNode("n1", 4);
    w.settleFleet(4);
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(answers.sort(), ["fleet@4:true", "n1@3:true"]);
    w.settleNode("n2", 3);
    w.settleNode("n1", 5);
    await Promise.all(all);
    assert.deepEqual(answers.sort(), [
      "fleet@4:true",
      "fleet@9:false",
      "n1@3:true",
      "n1@5:true",
      "n2@3:true",
    ]);
  });

  it("drops timed-out waits without answering them twice", async () => {
    const w = new Waiters();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => w.wait(10 + i, 1, "n")));
    assert.ok(results.every((r) => r === false));
    const late = w.wait(5, 5000, "n");
    w.settleNode("n", 1000);
    assert.equal(await late, true);
  });
});
