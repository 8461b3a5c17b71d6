// Flow-events benchmark (not a test; root): the datapath's cost of reporting new connections
// (issue 11), events on vs off side by side in one run.
//   1. BPF_PROG_TEST_RUN ns/packet: an established packet and a new allowed connection, with
//      events off and on (every new connection reported, ring drained between runs; and at the
//      agent's default limits, where most of a run's connections find the bucket empty), against
//      an empty program measured in the same rounds.
//   2. Real traffic between two namespace pods through the programs (both pods isolated, allowed
//      by policy): connections/s (connect + reset, 16 at a time) and one TCP stream's throughput,
//      with the in-situ ns per packet of both programs from the kernel's bpf_stats; modes
//      interleaved: events off, on (the agent's default limits: 1,000/s per CPU, burst 2,000), and
//      on without a limit that matters (1,000,000/s).
// Usage: npm run bench:datapath:flows [-- --quick] [--test-run]
import { execFile, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { DatapathConfig } from "../../bpf/lib/codecs/events.ts";
import { skbContext } from "../../bpf/lib/codecs/skb.ts";
import { loadCollection } from "../../bpf/lib/collection.ts";
import { BpfDatapath, MAPS } from "../../bpf/lib/datapath.ts";
import { applyEndpoints, applyIpcache, applyPolicies } from "../../bpf/lib/datapath-maps.ts";
import { kernelTestSkipReason } from "../../bpf/lib/features.ts";
import { EMPTY_OBJECT, native, POLICY_BENCH_OBJECT } from "../../bpf/lib/native.ts";
import type { Program } from "../../bpf/lib/program.ts";
import { enableRunStats, type RunStatsSession } from "../../bpf/lib/run-stats.ts";
import { loadCollectionSpec } from "../../bpf/lib/spec.ts";
import { readEventStats, subscribeDropEvents } from "../../bpf/lib/stats.ts";
import { buildPacket, TCP_FLAGS } from "../../bpf/lib/testing/packet.ts";
import { endpoint } from "../../bpf/lib/verdict-fixtures.ts";
import { runPrefix } from "../../lib/netns/names.ts";
import { createTopology, type Pod } from "../../lib/netns/topology.ts";
import { PROTO } from "../../wire/entries.ts";
import { policyEntries } from "./entries.ts";

const quick = process.argv.includes("--quick");
/** Only part 1 (BPF_PROG_TEST_RUN). */
const testRunOnly = process.argv.includes("--test-run");
const ROUNDS = quick ? 3 : 5;
const REPEAT = quick ? 200_000 : 1_000_000;
const NEW_FLOW_REPEAT = 50_000;
const TRAFFIC_MS = quick ? 2000 : 3000;
const OFF: DatapathConfig = { eventRate: 0, eventBurst: 0, newFlowSample: 1 };
const DEFAULT_ON: DatapathConfig = { eventRate: 1000, eventBurst: 2000, newFlowSample: 1 };
const UNLIMITED: DatapathConfig = { eventRate: 1_000_000, eventBurst: 1_000_000, newFlowSample: 1 };
const LOAD = join(import.meta.dirname, "flow-load.mjs");
const run = promisify(execFile);

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

const allow = (set: number, direction: "ingress" | "egress", remoteIdentity: number, port: number) => ({
  policySetId: set,
  direction,
  remoteIdentity,
  protocol: PROTO.TCP,
  port,
  portPrefixLen: 16,
  verdict: "allow" as const,
  policyId: 5,
  ruleIndex: 0,
});

// 1. BPF_PROG_TEST_RUN

async function loadForTestRun(ifindex: number, events: DatapathConfig, objectPath?: string) {
  const dp = await BpfDatapath.load({
    ...(objectPath ? { objectPath } : {}),
    sizes: { policies: 20_000, ipcache: 1024, conntrack: 1 << 20, eventsBytes: 16 << 20 },
    events,
  });
  const c = dp.collection;
  await applyPolicies(c, { upsert: policyEntries(100) });
  await applyIpcache(c, { upsert: [{ prefix: "10.1.0.20/32", identity: 301, prefixIdentity: 0 }] });
  await applyEndpoints(c, {
    upsert: [{ ifindex, entry: endpoint(1, 300, 1, { ingress: true, egress: true }) }],
  });
  await applyPolicies(c, { upsert: [allow(1, "egress", 0, 80), allow(1, "egress", 0, 443)] });
  return dp;
}

async function testRun(): Promise<void> {
  const veth = `pf${process.pid % 100000}`;
  spawnSync("ip", ["link", "add", veth, "type", "veth", "peer", "name", `${veth}p`]);
  try {
    const ifindex = native().ifIndex(veth);
    const ctx = skbContext(ifindex);
    const empty = await loadCollection(loadCollectionSpec(EMPTY_OBJECT));
    const est = { off: await loadForTestRun(ifindex, OFF), on: await loadForTestRun(ifindex, UNLIMITED) };
    const fresh = {
      off: await loadForTestRun(ifindex, OFF, POLICY_BENCH_OBJECT),
      on: await loadForTestRun(ifindex, UNLIMITED, POLICY_BENCH_OBJECT),
      limited: await loadForTestRun(ifindex, DEFAULT_ON, POLICY_BENCH_OBJECT),
    };
    const limitedReader = subscribeDropEvents(fresh.limited.collection, () => {});
    let events = 0;
    const reader = subscribeDropEvents(fresh.on.collection, (e) => {
      events += e.length;
    });
    const estReader = subscribeDropEvents(est.on.collection, (e) => {
      events += e.length;
    });
    const established = buildPacket({
      src: "10.1.0.10",
      dst: "10.1.0.20",
      protocol: PROTO.TCP,
      srcPort: 40000,
      dstPort: 80,
      tcpFlags: TCP_FLAGS.ACK,
      payload: 64,
    });
    for (const dp of [est.off, est.on])
      dp.collection.program("from_pod").run(
        buildPacket({
          src: "10.1.0.10",
          dst: "10.1.0.20",
          protocol: PROTO.TCP,
          srcPort: 40000,
          dstPort: 80,
        }),
        { ctx },
      );
    estReader.consume();
    events = 0;
    let round = 0;
    const newFlow = () =>
      buildPacket({
        src: `10.${100 + (round++ % 150)}.0.1`,
        dst: "10.1.0.20",
        protocol: PROTO.TCP,
        srcPort: 1024,
        dstPort: 443,
        payload: 64,
      });
    const cases: Record<string, () => number> = {
      floor: () => empty.program("pass_all").run(established, { ctx, repeat: REPEAT }).durationNs,
      establishedOff: () =>
        est.off.collection.program("from_pod").run(established, { ctx, repeat: REPEAT }).durationNs,
      establishedOn: () => {
        const ns = est.on.collection.program("from_pod").run(established, { ctx, repeat: REPEAT }).durationNs;
        estReader.consume();
        return ns;
      },
      newOff: () =>
        fresh.off.collection.program("from_pod").run(newFlow(), { ctx, repeat: NEW_FLOW_REPEAT }).durationNs,
      newOn: () => {
        const ns = fresh.on.collection
          .program("from_pod")
          .run(newFlow(), { ctx, repeat: NEW_FLOW_REPEAT }).durationNs;
        reader.consume(); // drain the ring outside the timed run
        return ns;
      },
      newLimited: () => {
        const ns = fresh.limited.collection
          .program("from_pod")
          .run(newFlow(), { ctx, repeat: NEW_FLOW_REPEAT }).durationNs;
        limitedReader.consume();
        return ns;
      },
    };
    const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
    for (let r = 0; r < ROUNDS; r++) for (const [k, f] of Object.entries(cases)) samples[k]!.push(f());
    const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
    const stats = readEventStats(fresh.on.collection);
    console.log(`1. BPF_PROG_TEST_RUN, median of ${ROUNDS} interleaved rounds (ns/packet)`);
    console.log(`   floor (empty program)          ${m.floor!.toFixed(1)}`);
    const line = (name: string, off: number, on: number) =>
      console.log(
        `   ${name.padEnd(31)}off ${off.toFixed(1)} (+${(off - m.floor!).toFixed(1)})  on ${on.toFixed(1)} (+${(on - m.floor!).toFixed(1)})  on/off ${(on / off).toFixed(3)}x, above floor ${((on - m.floor!) / (off - m.floor!)).toFixed(3)}x`,
      );
    line("established packet", m.establishedOff!, m.establishedOn!);
    line("new allowed connection", m.newOff!, m.newOn!);
    line("  on at the default limits", m.newOff!, m.newLimited!);
    console.log(
      `   events read: ${events} (emitted ${stats.emitted}, lost ${stats.lost}, suppressed ${stats.suppressed}); new connections run: ${ROUNDS * NEW_FLOW_REPEAT}`,
    );
    reader.close();
    estReader.close();
    limitedReader.close();
    for (const dp of [est.off, est.on, fresh.off, fresh.on, fresh.limited]) dp.close();
    empty.close();
  } finally {
    spawnSync("ip", ["link", "del", veth]);
  }
}

// 2. Real traffic, in-situ statistics

const STREAM_PORT = 7001;
const CONNECT_PORT = 7002;

function progStats(progs: Program[]): { ns: bigint; count: bigint } {
  let ns = 0n;
  let count = 0n;
  for (const p of progs) {
    const s = p.stats();
    ns += s.runTimeNs;
    count += s.runCount;
  }
  return { ns, count };
}

async function inPod(pod: Pod, args: string[]): Promise<number> {
  const { stdout } = await run("ip", ["netns", "exec", pod.netns, process.execPath, LOAD, ...args], {
    timeout: TRAFFIC_MS + 30_000,
  });
  return Number(stdout.trim());
}

async function traffic(): Promise<void> {
  const t = await createTopology({ prefix: runPrefix("f"), pods: ["a", "b"], serve: {} });
  const servers = [STREAM_PORT, CONNECT_PORT].map((port) =>
    spawn("ip", ["netns", "exec", t.pods[1]!.netns, process.execPath, LOAD, "serve", String(port)], {
      stdio: "ignore",
    }),
  );
  let dp: BpfDatapath | undefined;
  let stats: RunStatsSession | undefined;
  try {
    stats = enableRunStats(); // held until the finally below; nothing host-wide to restore
    const [a, b] = [t.pods[0]!, t.pods[1]!];
    spawnSync("ip", ["netns", "exec", a.netns, "sysctl", "-w", "net.ipv4.ip_local_port_range=1024 65000"], {
      stdio: "ignore",
    });
    await new Promise((r) => setTimeout(r, 800));
    dp = await BpfDatapath.load({ sizes: { policies: 1024, conntrack: 1 << 20 }, events: OFF });
    const c = dp.collection;
    await applyIpcache(c, {
      upsert: [
        { prefix: `${a.ip}/32`, identity: 1001, prefixIdentity: 0 },
        { prefix: `${b.ip}/32`, identity: 1002, prefixIdentity: 0 },
        { prefix: `${t.gateway}/32`, identity: 1, prefixIdentity: 0 },
      ],
    });
    await applyEndpoints(c, {
      upsert: [
        {
          ifindex: native().ifIndex(a.hostIf),
          entry: endpoint(1, 1001, 41, { ingress: true, egress: true }),
        },
        {
          ifindex: native().ifIndex(b.hostIf),
          entry: endpoint(2, 1002, 42, { ingress: true, egress: true }),
        },
      ],
    });
    await applyPolicies(c, {
      upsert: [STREAM_PORT, CONNECT_PORT].flatMap((port) => [
        allow(41, "egress", 1002, port),
        allow(42, "ingress", 1001, port),
      ]),
    });
    dp.attach(a.hostIf);
    dp.attach(b.hostIf);
    let events = 0;
    const reader = subscribeDropEvents(c, (e) => {
      events += e.length;
    });
    const progs = [c.program("from_pod"), c.program("to_pod")];
    const modes: [string, DatapathConfig][] = [
      ["off", OFF],
      ["on (1,000/s)", DEFAULT_ON],
      ["on (unlimited)", UNLIMITED],
    ];
    const results: Record<
      string,
      {
        cps: number[];
        cNs: number[];
        gbps: number[];
        sNs: number[];
        events: number[];
        lost: number[];
        suppressed: number[];
      }
    > = Object.fromEntries(
      modes.map(([m]) => [m, { cps: [], cNs: [], gbps: [], sNs: [], events: [], lost: [], suppressed: [] }]),
    );
    const bucket = c.map(MAPS.eventBucket);
    for (let r = 0; r < ROUNDS; r++) {
      for (const [mode, cfg] of modes) {
        dp.configureEvents(cfg);
        bucket.update(Buffer.alloc(4), Buffer.alloc(bucket.valueStride));
        const res = results[mode]!;
        events = 0;
        let before = progStats(progs);
        const conns = await inPod(a, ["connect", b.ip, String(CONNECT_PORT), String(TRAFFIC_MS), "16"]);
        let after = progStats(progs);
        res.cps.push(conns / (TRAFFIC_MS / 1000));
        res.cNs.push(Number(after.ns - before.ns) / Number(after.count - before.count));
        reader.consume();
        res.events.push(events);
        const st = readEventStats(c);
        res.lost.push(Number(st.lost));
        res.suppressed.push(Number(st.suppressed));
        before = progStats(progs);
        const bytes = await inPod(a, ["stream", b.ip, String(STREAM_PORT), String(TRAFFIC_MS)]);
        after = progStats(progs);
        res.gbps.push((bytes * 8) / (TRAFFIC_MS / 1000) / 1e9);
        res.sNs.push(Number(after.ns - before.ns) / Number(after.count - before.count));
      }
    }
    reader.close();
    const off = results.off!;
    console.log(
      `\n2. Real traffic through both programs (pods a -> b), ${TRAFFIC_MS / 1000} s x ${ROUNDS} interleaved rounds, medians; in-situ ns/packet from bpf_stats (from_pod + to_pod)`,
    );
    console.log(
      "   mode              conn/s    vs off  ns/pkt (conn)  events/round   stream Gbit/s  vs off  ns/pkt (stream)",
    );
    for (const [mode] of modes) {
      const x = results[mode]!;
      console.log(
        `   ${mode.padEnd(16)}${median(x.cps).toFixed(0).padStart(7)}  ${(median(x.cps) / median(off.cps)).toFixed(3).padStart(7)}  ${median(x.cNs).toFixed(1).padStart(13)}  ${median(x.events).toFixed(0).padStart(12)}  ${median(x.gbps).toFixed(2).padStart(14)}  ${(median(x.gbps) / median(off.gbps)).toFixed(3).padStart(6)}  ${median(x.sNs).toFixed(1).padStart(15)}`,
      );
    }
    for (const [mode] of modes) {
      const x = results[mode]!;
      console.log(
        `   ${mode.padEnd(16)}conn/s runs ${x.cps.map((v) => v.toFixed(0)).join(" ")}; events lost ${median(x.lost)}, suppressed ${median(x.suppressed)} (median per round)`,
      );
    }
  } finally {
    for (const s of servers) s.kill("SIGKILL");
    dp?.close();
    t.teardown();
    stats?.close();
  }
}

async function main(): Promise<void> {
  const skip = kernelTestSkipReason();
  if (skip) throw new Error(`cannot benchmark: ${skip}`);
  console.log(
    `kernel ${spawnSync("uname", ["-r"]).stdout.toString().trim()}; ${quick ? "quick" : "full"} run`,
  );
  await testRun();
  if (!testRunOnly) await traffic();
}

await main();
