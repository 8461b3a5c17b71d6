// In-situ run statistics: on while the session is held, counted per run, off again after close;
// and the program size the benchmarks report beside them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { skbContext } from "./codecs/skb.ts";
import { loadCollection } from "./collection.ts";
import { BpfDatapath } from "./datapath.ts";
import { kernelTestSkipReason } from "./features.ts";
import { EMPTY_OBJECT } from "./native.ts";
import type { Program } from "./program.ts";
import { enableRunStats, nsPerRun, sampleRunStats } from "./run-stats.ts";
import { loadCollectionSpec } from "./spec.ts";
import { buildPacket } from "./testing/packet.ts";

const packet = () => buildPacket({ src: "10.9.0.1", dst: "10.9.0.2", protocol: 17, srcPort: 1, dstPort: 2 });

/** Runs the program 1000 times and returns how many runs the kernel counted (0 or 1000). */
function countedRuns(prog: Program, ctx: Buffer): number {
  const before = sampleRunStats([prog]);
  prog.run(packet(), { ctx, repeat: 1000 });
  return nsPerRun(before, sampleRunStats([prog])).runs;
}

describe("nsPerRun", () => {
  it("averages run time over the runs between two samples, NaN when nothing ran", () => {
    const a = { runTimeNs: 1000n, runCount: 10n };
    assert.deepEqual(nsPerRun(a, { runTimeNs: 4000n, runCount: 40n }), { ns: 100, runs: 30 });
    const none = nsPerRun(a, a);
    assert.equal(none.runs, 0);
    assert.ok(Number.isNaN(none.ns));
  });
});

describe("run-time statistics", { skip: kernelTestSkipReason() }, () => {
  // Another process may hold stats on (the sysctl, or its own fd, which the sysctl does not show):
  // the off-after-close check runs only when they were off just before the session.
  it("count every run of a program while held, and are off again after close when they were off before", async () => {
    const c = await loadCollection(loadCollectionSpec(EMPTY_OBJECT));
    try {
      const prog = c.program("pass_all");
      const ctx = skbContext(1);
      const offBefore = countedRuns(prog, ctx) === 0;
      const session = enableRunStats();
      let held: ReturnType<typeof nsPerRun>;
      try {
        const before = sampleRunStats([prog]);
        prog.run(packet(), { ctx, repeat: 1000 });
        held = nsPerRun(before, sampleRunStats([prog]));
      } finally {
        session.close();
        session.close(); // idempotent
      }
      assert.equal(held.runs, 1000);
      assert.ok(held.ns > 0 && held.ns < 1e6, `ns per run: ${held.ns}`);
      if (offBefore) assert.equal(countedRuns(prog, ctx), 0);
    } finally {
      c.close();
    }
  });
});

describe("program size", { skip: kernelTestSkipReason() }, () => {
  it("reports the verified and JIT-compiled size, larger for the policy program than for the empty one", async () => {
    const empty = await loadCollection(loadCollectionSpec(EMPTY_OBJECT));
    const dp = await BpfDatapath.load({ sizes: { ipcache: 64, policies: 64, endpoints: 8, conntrack: 256 } });
    try {
      const e = empty.program("pass_all").size();
      const p = dp.collection.program("from_pod").size();
      assert.equal(e.xlatedBytes % 8, 0);
      assert.ok(e.xlatedBytes >= 16, JSON.stringify(e));
      assert.ok(p.xlatedBytes > 50 * e.xlatedBytes, JSON.stringify(p));
      // 0 without a JIT (net.core.bpf_jit_enable=0: the interpreter runs the instructions)
      if (e.jitedBytes > 0) assert.ok(p.jitedBytes > 50 * e.jitedBytes, JSON.stringify(p));
    } finally {
      dp.close();
      empty.close();
    }
  });
});
