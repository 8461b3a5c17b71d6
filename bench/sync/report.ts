// Owns how the fan-out benchmark prints its figures: Markdown (so a run can be pasted into the
// README), every latency beside the no-agent baseline of the same run.
import { count, ms, section, table, verdict } from "../control-plane/report.ts";
import { spread } from "../control-plane/stats.ts";
import type { FanoutSummary, Options } from "./fanout.bench.ts";
import type { AgentsStats } from "./fleet-ipc.ts";
import type { MemoryReading, WriteTiming } from "./plane-client.ts";

export interface Report {
  opts: Options;
  cores: number;
  cpuModel: string;
  seedMs: number;
  connectMs: number;
  baseline: WriteTiming[];
  loaded: WriteTiming[];
  one: WriteTiming;
  oneFanout: FanoutSummary;
  allFanout: FanoutSummary;
  /** palisade_sync_fanout_send_seconds over the measured writes: the hub sending each revision. */
  send: FanoutSummary;
  snapshotsDuringWrites: number;
  before: MemoryReading;
  after: MemoryReading;
  agentStats: AgentsStats[];
  /** CPU seconds used during the measured writes (wall seconds of that phase beside). */
  cpu: { wallSeconds: number; plane: number; fleet: number };
  targets: { p50: number; p99: number };
}

const MiB = 2 ** 20;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;
const pct = (cpu: number, r: Report) => `${((cpu / (r.cpu.wallSeconds * r.cores)) * 100).toFixed(0)}%`;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(1)}x` : "-");

function latencyRows(r: Report): (string | number)[][] {
  const rows: (string | number)[][] = [];
  for (const [label, pick] of [
    ["policy write (request to response)", (t: WriteTiming) => t.writeMs],
    ["write response to every agent's ack (sync/wait)", (t: WriteTiming) => t.ackAllMs],
  ] as const) {
    const base = spread(r.baseline.map(pick));
    const load = spread(r.loaded.map(pick));
    rows.push([
      label,
      ms(base.p50),
      ms(base.p99),
      ms(load.p50),
      ms(load.p99),
      ms(load.max),
      ratio(load.p50, base.p50),
    ]);
  }
  return rows;
}

/** A bucket bound: "<= 100 ms", or "> 5000 ms" for the +Inf bucket (above the largest bound). */
const bound = (leMs: number, largestMs: number) =>
  Number.isFinite(leMs) ? `<= ${ms(leMs)}` : `> ${ms(largestMs)}`;

function fanoutRow(label: string, f: FanoutSummary): (string | number)[] {
  const b = (le: number) => bound(le, f.largestBoundMs);
  return [label, count(f.observations), ms(f.meanMs), b(f.p50LeMs), b(f.p99LeMs), b(f.maxLeMs)];
}

export function printReport(r: Report): void {
  const agents = r.opts.agents;
  console.log(`# Sync fan-out benchmark\n`);
  console.log(
    `${agents} ${r.opts.kind === "real" ? "agents (real runAgent, memory datapath)" : "protocol-only agents (ack without applying)"} in ${r.agentStats.length} processes, one control plane process, ` +
      `${r.cores} cores (${r.cpuModel}), Node ${process.versions.node}; ${r.opts.writes} writes per phase, ${r.opts.gapMs} ms apart; agent state dirs under ${r.opts.stateRoot ?? "the run's temp dir"}.`,
  );
  console.log(
    `Seeding ${agents} endpoints: ${ms(r.seedMs)}; starting, enrolling and syncing every agent: ${ms(r.connectMs)}.`,
  );

  section("Write to every agent's ack");
  console.log(
    table(
      [
        "measure",
        "no agents p50",
        "no agents p99",
        `${agents} agents p50`,
        `${agents} agents p99`,
        "max",
        "p50 ratio",
      ],
      latencyRows(r),
    ),
  );
  const ack = spread(r.loaded.map((t) => t.ackAllMs));
  console.log(
    `\nTargets: p50 <= ${r.targets.p50} ms: ${ms(ack.p50)} ${verdict(ack.p50, r.targets.p50)}; ` +
      `p99 <= ${r.targets.p99} ms: ${ms(ack.p99)} ${verdict(ack.p99, r.targets.p99)}.`,
  );
  console.log(`Snapshots sent during the measured writes (should be 0): ${r.snapshotsDuringWrites}.`);

  section("Fan-out (palisade_sync_fanout_seconds: commit to each agent's ack)");
  console.log(
    table(
      ["delta(s)", "acks", "mean", "p50", "p99", "slowest"],
      [fanoutRow("one delta", r.oneFanout), fanoutRow(`${r.opts.writes} writes`, r.allFanout)],
    ),
  );
  console.log(
    `\nBucket bounds, not exact values. The one delta measured through HTTP: write ${ms(r.one.writeMs)}, ` +
      `response to every ack ${ms(r.one.ackAllMs)}.`,
  );
  console.log(
    `The control plane's own share (palisade_sync_fanout_send_seconds): sending one revision to every ` +
      `agent took ${ms(r.send.meanMs)} on average over the ${r.send.observations} revisions (slowest ${bound(r.send.maxLeMs, r.send.largestBoundMs)}).`,
  );

  section("CPU during the measured writes");
  const revisions = r.opts.writes * agents;
  const busy = (r.cpu.plane + r.cpu.fleet) / (r.cpu.wallSeconds * r.cores);
  console.log(
    table(
      ["process", "CPU seconds", "per agent per revision", "share of the cores"],
      [
        ["control plane", r.cpu.plane.toFixed(1), ms((r.cpu.plane / revisions) * 1000), pct(r.cpu.plane, r)],
        [
          `fleet (${r.agentStats.length} processes)`,
          r.cpu.fleet.toFixed(1),
          ms((r.cpu.fleet / revisions) * 1000),
          pct(r.cpu.fleet, r),
        ],
      ],
    ),
  );
  console.log(
    `\n${r.opts.writes} writes took ${r.cpu.wallSeconds.toFixed(1)} s of wall time; the ${r.cores} cores were ${(busy * 100).toFixed(0)}% busy.`,
  );

  section("Memory");
  const rssPer = (r.after.rssBytes - r.before.rssBytes) / agents;
  const heapPer = (r.after.heapUsedBytes - r.before.heapUsedBytes) / agents;
  const externalPer = (r.after.externalBytes - r.before.externalBytes) / agents;
  const agentRss = r.agentStats.reduce((a, s) => a + s.rssBytes, 0);
  console.log(
    table(
      ["process", "before agents", "after agents", "per agent"],
      [
        ["control plane RSS (after a full GC)", mib(r.before.rssBytes), mib(r.after.rssBytes), kib(rssPer)],
        ["control plane heap used", mib(r.before.heapUsedBytes), mib(r.after.heapUsedBytes), kib(heapPer)],
        [
          "control plane external (Buffers)",
          mib(r.before.externalBytes),
          mib(r.after.externalBytes),
          kib(externalPer),
        ],
        [`agent processes RSS (${r.agentStats.length})`, "-", mib(agentRss), kib(agentRss / agents)],
      ],
    ),
  );
  const ready = r.agentStats.reduce((a, s) => a + s.ready, 0);
  const problems: Record<string, number> = {};
  for (const s of r.agentStats)
    for (const [k, v] of Object.entries(s.problems)) problems[k] = (problems[k] ?? 0) + v;
  console.log(`\nAgents ready when measured: ${ready} of ${agents}.`);
  const lines = Object.entries(problems).map(([k, v]) => `${k} (${v})`);
  console.log(`Agent warnings and errors: ${lines.length === 0 ? "none" : lines.join("; ")}.`);
}
