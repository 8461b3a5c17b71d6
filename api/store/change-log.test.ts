// The revision log's encoding: the JSON written in steps is JSON.stringify's, and a change set
// stored deflated reads back whole.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ChangeSet } from "../policy/compiler/change-set.ts";
import { decodeChanges, encodeLarge, encodeSmall, encodeSync, isLarge, jsonInSteps } from "./change-log.ts";

const entry = (i: number) => ({ prefix: `10.0.${i >> 8}.${i & 255}/32`, identity: i, prefixIdentity: 0 });

function changeSet(entries: number): ChangeSet {
  return {
    ipcache: { upsert: Array.from({ length: entries }, (_, i) => entry(i)), remove: [entry(1)] },
    sets: { 7: { upsert: [], remove: [] } },
    setEntries: {},
    removedSetEntries: {},
    nodes: { "node-a": { endpoints: { upsert: [], remove: [] }, changed: [7], added: [], removed: [] } },
  };
}

describe("change log", () => {
  it("writes the same JSON in steps as JSON.stringify does", () => {
    for (const n of [0, 1, 511, 512, 513, 1024, 5000]) {
      const value = {
        a: Array.from({ length: n }, (_, i) => ({ i, s: `x${i}`, u: undefined })),
        b: undefined,
      };
      assert.equal(jsonInSteps(value), JSON.stringify(value), `${n} elements`);
    }
    const cs = changeSet(3000);
    assert.equal(jsonInSteps(cs), JSON.stringify(cs));
    assert.equal(jsonInSteps([[1, [2, []]], null, "s", 0]), JSON.stringify([[1, [2, []]], null, "s", 0]));
  });

  it("stores a small change set as JSON text and a large one deflated, both read back whole", async () => {
    const small = changeSet(10);
    assert.equal(isLarge(small), false);
    assert.equal(encodeSync(small), encodeSmall(small));
    assert.deepEqual(decodeChanges(encodeSmall(small)), small);
    const large = changeSet(20_000);
    assert.equal(isLarge(large), true);
    const atOnce = encodeSync(large);
    assert.ok(Buffer.isBuffer(atOnce));
    let pauses = 0;
    const inSteps = await encodeLarge(large, () => {
      pauses++;
      return new Promise((resolve) => setImmediate(resolve));
    });
    assert.ok(pauses > 10, `${pauses} pauses`);
    assert.ok(inSteps.length < JSON.stringify(large).length / 4, "deflated");
    assert.deepEqual(decodeChanges(atOnce), large);
    assert.deepEqual(decodeChanges(inSteps), large);
  });
});
