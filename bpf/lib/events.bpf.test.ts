// Drop events through the ring buffer: delivered on the event loop, rate-limited in the kernel.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PROTO } from "../../wire/entries.ts";
import type { DropEvent } from "./codecs/events.ts";
import { REASONS } from "./codecs/reasons.ts";
import { readVerdictTrace, skbContext } from "./codecs/skb.ts";
import { BpfDatapath, MAPS } from "./datapath.ts";
import { applyEndpoints, applyIpcache } from "./datapath-maps.ts";
import { kernelTestSkipReason } from "./features.ts";
import { native } from "./native.ts";
import { readCounter, readEventStats, subscribeDropEvents } from "./stats.ts";
import { tempVeth } from "./testing/kernel.ts";
import { buildPacket } from "./testing/packet.ts";
import { EP, IP, IPCACHE } from "./verdict-fixtures.ts";

const skip = kernelTestSkipReason();

describe("drop events", { skip }, () => {
  let dp: BpfDatapath;
  let veth: ReturnType<typeof tempVeth>;
  const denied = (port: number) =>
    buildPacket({ src: IP.B, dst: IP.A, protocol: PROTO.TCP, srcPort: port, dstPort: 80 });
  const run = (frame: Buffer) =>
    dp.collection.program("to_pod").run(frame, { ctx: skbContext(veth.ifindex) });
  const resetBucket = () => {
    const m = dp.collection.map(MAPS.eventBucket);
    m.update(Buffer.alloc(4), Buffer.alloc(m.valueStride));
  };

  before(async () => {
    veth = tempVeth();
    dp = await BpfDatapath.load({ sizes: { ipcache: 64, policies: 64, endpoints: 8, conntrack: 64 } });
    await applyEndpoints(dp.collection, {
      upsert: [{ ifindex: veth.ifindex, entry: EP.A({ ingress: true }) }],
    });
    await applyIpcache(dp.collection, { upsert: IPCACHE });
  });
  after(() => {
    dp?.close();
    veth?.remove();
  });

  it("are delivered on the event loop without an explicit consume", { timeout: 5000 }, async () => {
    const got = new Promise<DropEvent[]>((resolve) => {
      const reader = subscribeDropEvents(dp.collection, (events) => {
        reader.close();
        resolve(events);
      });
      reader.ref();
    });
    resetBucket();
    assert.equal(readVerdictTrace(run(denied(1)).ctx!).reason, REASONS.DROP_POLICY_DENIED);
    const events = await got;
    assert.equal(events[0]?.reasonName, "DROP_POLICY_DENIED");
    assert.equal(events[0]?.srcAddr, IP.B);
  });

  it("are limited by the per-CPU token bucket, and the suppressed ones are counted", () => {
    const got: DropEvent[] = [];
    const reader = subscribeDropEvents(dp.collection, (events) => got.push(...events));
    try {
      dp.configureEvents({ eventRate: 1, eventBurst: 3 });
      resetBucket();
      for (let i = 0; i < 10; i++) run(denied(100 + i));
      reader.consume();
      // Buckets are per CPU: the test process may move between CPUs, each with its own burst of 3.
      const stats = readEventStats(dp.collection);
      const cpus = BigInt(native().possibleCpus());
      assert.equal(BigInt(got.length), stats.emitted);
      assert.ok(stats.emitted >= 3n && stats.emitted <= 3n * cpus, `emitted ${stats.emitted}`);
      assert.deepEqual([stats.emitted + stats.suppressed, stats.lost], [10n, 0n]);
    } finally {
      reader.close();
    }
  });

  it("with events turned off, drops are still counted", () => {
    const got: DropEvent[] = [];
    const reader = subscribeDropEvents(dp.collection, (events) => got.push(...events));
    try {
      dp.configureEvents({ eventRate: 0, eventBurst: 0 });
      const before = readCounter(dp.collection, 0, REASONS.DROP_POLICY_DENIED).packets;
      run(denied(200));
      reader.consume();
      assert.equal(got.length, 0);
      assert.equal(readCounter(dp.collection, 0, REASONS.DROP_POLICY_DENIED).packets, before + 1n);
    } finally {
      reader.close();
    }
  });

  it("new connections are sampled 1 in N per CPU, none with 0, and established packets emit nothing", () => {
    const got: DropEvent[] = [];
    const reader = subscribeDropEvents(dp.collection, (events) => got.push(...events));
    const from = (port: number) =>
      dp.collection
        .program("from_pod")
        .run(buildPacket({ src: IP.A, dst: IP.B, protocol: PROTO.UDP, srcPort: port, dstPort: 53 }), {
          ctx: skbContext(veth.ifindex),
        });
    try {
      // Pinned to one CPU is not possible here: count per CPU through the bucket's own counter.
      dp.configureEvents({ eventRate: 1_000_000, eventBurst: 1_000_000, newFlowSample: 0 });
      resetBucket();
      for (let i = 0; i < 5; i++) from(3000 + i);
      reader.consume();
      assert.equal(got.length, 0, "sample 0 reports no new connection");
      dp.configureEvents({ eventRate: 1_000_000, eventBurst: 1_000_000, newFlowSample: 4 });
      resetBucket();
      for (let i = 0; i < 16; i++) from(4000 + i);
      for (let i = 0; i < 16; i++) from(4000 + i); // the same flows again: established, no events
      reader.consume();
      const cpus = native().possibleCpus();
      assert.ok(got.every((e) => e.kind === "new_flow"));
      // 16 new connections, 1 in 4 per CPU: 4 when the loop stayed on one CPU, at most 4 + cpus.
      assert.ok(got.length >= 4 && got.length <= 4 + cpus, `got ${got.length}`);
      assert.equal(readEventStats(dp.collection).suppressed, 0n);
    } finally {
      dp.configureEvents({ eventRate: 100, eventBurst: 200 });
      reader.close();
    }
  });

  it("an event rate outside 0..1000000 is refused with a message naming it", () => {
    assert.throws(
      () => dp.configureEvents({ eventRate: -1, eventBurst: 1 }),
      /eventRate must be an integer in 0..1000000, got -1/,
    );
  });
});
