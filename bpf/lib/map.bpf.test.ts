// Map operations through the binding: elements, batches, iteration, per-CPU values, error codes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isBpfError } from "./errors.ts";
import { kernelTestSkipReason, probeFeatures } from "./features.ts";
import { BpfMap, MAP_TYPE, UPDATE } from "./map.ts";
import { native } from "./native.ts";

const skip = kernelTestSkipReason();

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function hashMap(max: number, valueSize = 8): BpfMap {
  return new BpfMap(native().mapCreate(MAP_TYPE.HASH, 4, valueSize, max, 0), true);
}

describe("BPF maps through the binding", { skip }, () => {
  it("a hash map supports lookup, update, delete and iteration", () => {
    const m = hashMap(8);
    try {
      assert.equal(m.lookup(u32(1)), undefined);
      m.update(u32(1), Buffer.from("abcdefgh"));
      m.update(u32(2), Buffer.from("ijklmnop"));
      assert.equal(m.lookup(u32(1))?.toString(), "abcdefgh");
      assert.deepEqual([...m.keys()].map((k) => k.readUInt32LE()).sort(), [1, 2]);
      assert.equal(m.delete(u32(1)), true);
      assert.equal(m.delete(u32(1)), false);
    } finally {
      m.close();
    }
  });

  it("errno values surface as stable codes callers can branch on", () => {
    const m = hashMap(2);
    try {
      m.update(u32(1), Buffer.alloc(8));
      assert.throws(
        () => m.update(u32(1), Buffer.alloc(8), UPDATE.NOEXIST),
        (e) => isBpfError(e, "ERR_BPF_EXISTS"),
      );
      assert.throws(
        () => m.update(u32(9), Buffer.alloc(8), UPDATE.EXIST),
        (e) => isBpfError(e, "ERR_BPF_NOT_FOUND"),
      );
      m.update(u32(2), Buffer.alloc(8));
      assert.throws(
        () => m.update(u32(3), Buffer.alloc(8)),
        (e) => isBpfError(e, "ERR_BPF_MAP_FULL"),
      );
      assert.throws(
        () => m.update(Buffer.alloc(3), Buffer.alloc(8)),
        /key for map .* must be 4 bytes, got 3/,
      );
      assert.throws(
        () => BpfMap.openPinned("/sys/fs/bpf/palisade-no-such-pin"),
        (e) => isBpfError(e, "ERR_BPF_NOT_FOUND"),
      );
    } finally {
      m.close();
    }
  });

  it("batch update, dump and batch delete handle thousands of entries, skipping absent keys", async () => {
    const m = hashMap(5000);
    try {
      const entries = Array.from({ length: 4000 }, (_, i) => ({
        key: u32(i),
        value: Buffer.alloc(8, i & 0xff),
      }));
      const u = await m.updateBatch(entries);
      assert.equal(u.count, 4000);
      assert.equal(u.batched, probeFeatures().batchOps);
      const dump = await m.dump();
      assert.equal(dump.length, 4000);
      assert.equal(dump.find((e) => e.key.readUInt32LE() === 300)?.value[0], 300 & 0xff);
      const d = await m.deleteBatch([u32(5), u32(999_999), u32(6)]);
      assert.deepEqual([d.count, d.missing], [3, 1]);
      assert.equal((await m.dump()).length, 3998);
    } finally {
      m.close();
    }
  });

  it("an overfull batch fails with ERR_BPF_MAP_FULL and says how many entries were applied", async () => {
    const m = new BpfMap(native().mapCreate(MAP_TYPE.LPM_TRIE, 8, 4, 10, 1), true);
    try {
      const entries = Array.from({ length: 12 }, (_, i) => {
        const key = Buffer.alloc(8);
        key.writeUInt32LE(32, 0);
        key.writeUInt32BE(0x0a000000 + i, 4);
        return { key, value: u32(i) };
      });
      await assert.rejects(
        m.updateBatch(entries),
        (e) => isBpfError(e, "ERR_BPF_MAP_FULL") && (e as unknown as { done: number }).done === 10,
      );
    } finally {
      m.close();
    }
  });

  it("per-CPU maps hold one value per possible CPU", () => {
    const m = new BpfMap(native().mapCreate(MAP_TYPE.PERCPU_ARRAY, 4, 8, 2, 0), true);
    try {
      const cpus = native().possibleCpus();
      assert.equal(m.valueStride, 8 * cpus);
      const v = Buffer.alloc(m.valueStride);
      for (let c = 0; c < cpus; c++) v.writeBigUInt64LE(BigInt(c + 1), c * 8);
      m.update(u32(1), v);
      const per = m.lookupPerCpu(u32(1))!;
      assert.equal(per.length, cpus);
      assert.deepEqual(
        per.map((b) => b.readBigUInt64LE()),
        Array.from({ length: cpus }, (_, c) => BigInt(c + 1)),
      );
    } finally {
      m.close();
    }
  });
});
