// Side-by-side benchmark (not a test; root): the test-run cases of run.ts for two builds of the
// policy programs, loaded at the same time with the same entries and measured in the same
// interleaved rounds against one empty program. Differences between builds are a few ns to a few
// tens of ns, and the floor moves by 3x between runs on a loaded machine: compare only inside one
// run. The base build is a directory holding policy.bpf.o and policy_bench.bpf.o, e.g.:
//   git archive <commit> bpf | tar -x -C /tmp/base && make -C /tmp/base/bpf
// Usage: node --import tsx bench/datapath/compare.ts --base /tmp/base/bpf/build [--entries N]
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { skbContext } from "../../bpf/lib/codecs/skb.ts";
import { loadCollection } from "../../bpf/lib/collection.ts";
import { kernelTestSkipReason } from "../../bpf/lib/features.ts";
import { EMPTY_OBJECT, native, POLICY_BENCH_OBJECT, POLICY_OBJECT } from "../../bpf/lib/native.ts";
import type { Program } from "../../bpf/lib/program.ts";
import { loadCollectionSpec } from "../../bpf/lib/spec.ts";
import { loadWith, packets } from "./setup.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const BASE = arg("--base");
const ENTRIES = Number(arg("--entries") ?? 100);
const ROUNDS = 7;
const REPEAT = 300_000;
const NEW_FLOW_REPEAT = 50_000;

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

async function main(): Promise<void> {
  const skip = kernelTestSkipReason();
  if (skip) throw new Error(`cannot benchmark: ${skip}`);
  const objects = (dir: string) => ({
    policy: join(dir, "policy.bpf.o"),
    bench: join(dir, "policy_bench.bpf.o"),
  });
  if (!BASE || !existsSync(objects(BASE).policy) || !existsSync(objects(BASE).bench))
    throw new Error(
      "--base DIR must hold policy.bpf.o and policy_bench.bpf.o (see the header of compare.ts)",
    );
  const builds = { base: objects(BASE), this: { policy: POLICY_OBJECT, bench: POLICY_BENCH_OBJECT } };
  const veth = `pc${process.pid % 100000}`;
  spawnSync("ip", ["link", "add", veth, "type", "veth", "peer", "name", `${veth}p`]);
  const empty = await loadCollection(loadCollectionSpec(EMPTY_OBJECT));
  const loaded: { close(): void }[] = [empty];
  try {
    const ifindex = native().ifIndex(veth);
    const ctx = skbContext(ifindex);
    const progs: Record<string, { policy: Program; bench: Program }> = {};
    for (const [name, b] of Object.entries(builds)) {
      const dp = await loadWith(ENTRIES, ifindex, b.policy);
      const fresh = await loadWith(ENTRIES, ifindex, b.bench);
      loaded.push(dp, fresh);
      const policy = dp.collection.program("from_pod");
      policy.run(packets.syn, { ctx }); // the tracked flow of `established`
      progs[name] = { policy, bench: fresh.collection.program("from_pod") };
      const size = policy.size();
      console.log(
        `${name}: from_pod ${size.xlatedBytes / 8} BPF instructions, ${size.jitedBytes} bytes of machine code`,
      );
    }
    const samples: Record<string, number[]> = {};
    const push = (k: string, v: number) => {
      samples[k] ??= [];
      samples[k].push(v);
    };
    const cases = ["established", "denied", "reused tuple", "new allowed"];
    for (let r = 0; r < ROUNDS; r++) {
      push("floor", empty.program("pass_all").run(packets.established, { ctx, repeat: REPEAT }).durationNs);
      for (const [name, p] of Object.entries(progs)) {
        push(`${name} established`, p.policy.run(packets.established, { ctx, repeat: REPEAT }).durationNs);
        push(`${name} denied`, p.policy.run(packets.denied, { ctx, repeat: REPEAT }).durationNs);
        push(`${name} reused tuple`, p.policy.run(packets.syn, { ctx, repeat: REPEAT }).durationNs);
        push(
          `${name} new allowed`,
          p.bench.run(packets.newFlow(r), { ctx, repeat: NEW_FLOW_REPEAT }).durationNs,
        );
      }
    }
    const floor = median(samples.floor!);
    console.log(
      `\n${ENTRIES} entries, ${ROUNDS} interleaved rounds, medians in ns above the floor (${floor.toFixed(0)} ns)`,
    );
    console.log(`${"case".padEnd(14)} ${"base".padStart(6)} ${"this".padStart(6)}  this - base`);
    for (const c of cases) {
      const b = median(samples[`base ${c}`]!) - floor;
      const t = median(samples[`this ${c}`]!) - floor;
      console.log(
        `${c.padEnd(14)} ${`+${b.toFixed(0)}`.padStart(6)} ${`+${t.toFixed(0)}`.padStart(6)}  ${(t - b >= 0 ? "+" : "") + (t - b).toFixed(0)}`,
      );
    }
  } finally {
    for (const l of loaded) l.close();
    spawnSync("ip", ["link", "del", veth]);
  }
}

await main();
