// Measures sync fan-out at fleet scale: the real control plane in one child process (file database),
// 1,000 real agents on the memory datapath spread over a few child processes, all on 127.0.0.1.
// Reports the time from a policy write's HTTP response until every agent acked it (p50/p99), the
// hub's commit-to-ack histogram for one delta and for all writes, and control-plane memory per
// agent; the same writes with no agent connected are the baseline, so ratios compare across machines.
// Run: node --import tsx bench/sync/fanout.bench.ts [--agents N] [--procs N] [--writes N]
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ask, forkChild, profileChildrenInto, stopChild } from "./children.ts";
import type { AgentsAnswer, AgentsCommand, AgentsRequest, AgentsStats } from "./fleet-ipc.ts";
import type { PlaneAnswer, PlaneRequest } from "./plane.ts";
import { type PlaneClient, planeClient, type WriteTiming } from "./plane-client.ts";
import { bucketBound, type HistogramReading, histogramSince } from "./prometheus.ts";
import { printReport } from "./report.ts";

/** Targets from issue 4: write response to every agent's ack. */
export const TARGET_P50_MS = 100;
export const TARGET_P99_MS = 500;
const PLANE_FILE = fileURLToPath(new URL("./plane.ts", import.meta.url));
const FLEET_FILES = {
  real: fileURLToPath(new URL("./agents.ts", import.meta.url)),
  protocol: fileURLToPath(new URL("./protocol-agents.ts", import.meta.url)),
};

export interface Options {
  agents: number;
  procs: number;
  writes: number;
  gapMs: number;
  batch: number;
  deadlineS: number;
  /** Directory for the children's CPU profiles (--cpu-prof), when set. */
  cpuProf: string | undefined;
  /** real: runAgent on the memory datapath; protocol: minimal clients that only speak the protocol. */
  kind: "real" | "protocol";
  /** Where the agents' state dirs go (default: the run's temp dir); /dev/shm takes fsync out. */
  stateRoot: string | undefined;
  /** After the writes, kill the control plane (SIGKILL) and restart it on the same database and port. */
  restart: boolean;
}

function parseKind(kind: string): Options["kind"] {
  if (kind !== "real" && kind !== "protocol")
    throw new RangeError(`--kind must be real or protocol, got ${JSON.stringify(kind)}`);
  return kind;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      agents: { type: "string", default: "1000" },
      procs: { type: "string", default: "4" },
      writes: { type: "string", default: "50" },
      "gap-ms": { type: "string", default: "100" },
      batch: { type: "string", default: "25" },
      "deadline-s": { type: "string", default: "600" },
      "cpu-prof": { type: "string" },
      kind: { type: "string", default: "real" },
      "state-root": { type: "string" },
      restart: { type: "boolean", default: false },
    },
  });
  if (values.restart && values.kind !== "protocol")
    throw new RangeError(
      "--restart needs --kind protocol (the protocol agents reconnect with what they hold)",
    );
  const int = (name: Exclude<keyof typeof values, "cpu-prof" | "kind" | "state-root">, min: number) => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < min)
      throw new RangeError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(values[name])}`);
    return v;
  };
  return {
    agents: int("agents", 1),
    procs: int("procs", 1),
    writes: int("writes", 1),
    gapMs: int("gap-ms", 0),
    batch: int("batch", 1),
    deadlineS: int("deadline-s", 10),
    cpuProf: values["cpu-prof"],
    kind: parseKind(values.kind),
    stateRoot: values["state-root"],
    restart: values.restart,
  };
}

export const nodeName = (i: number) => `bench-node-${String(i).padStart(4, "0")}`;

/** One policy write after another, each followed by GET /v1/sync/wait as soon as it answered. */
async function measureWrites(client: PlaneClient, writes: number, gapMs: number): Promise<WriteTiming[]> {
  const out: WriteTiming[] = [];
  for (let i = 0; i < writes; i++) {
    out.push(await client.timedWrite());
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
  }
  return out;
}

/**
 * Polls `done` every `everyMs` until it holds. At 10,000 agents one /metrics answer costs the control
 * plane tens of ms (a series per node), so the restart polls once a second, not four times.
 */
async function until(what: string, ms: number, done: () => Promise<boolean>, everyMs = 250): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface FanoutSummary {
  observations: number;
  meanMs: number;
  /** Upper bounds of the buckets holding p50, p99 and the slowest ack, in ms. */
  p50LeMs: number;
  p99LeMs: number;
  maxLeMs: number;
  /** The histogram's largest finite bucket bound, in ms. */
  largestBoundMs: number;
}

function summarizeFanout(h: HistogramReading): FanoutSummary {
  return {
    observations: h.count,
    meanMs: (h.sum / h.count) * 1000,
    p50LeMs: bucketBound(h, 0.5) * 1000,
    p99LeMs: bucketBound(h, 0.99) * 1000,
    maxLeMs: bucketBound(h, 1) * 1000,
    largestBoundMs: (h.buckets.at(-2)?.le ?? 0) * 1000,
  };
}

async function run(opts: Options, dir: string): Promise<void> {
  const plane = forkChild(PLANE_FILE, ["--expose-gc"]);
  const adminToken = randomBytes(24).toString("base64url");
  const start: PlaneRequest = {
    type: "start",
    dbPath: join(dir, "plane.db"),
    adminToken,
    heartbeatSeconds: 10,
  };
  const { url } = await ask<PlaneAnswer, "ready">(plane, start, "ready", 60_000);
  const client = planeClient(url, adminToken);
  const memory = async () => {
    await ask<PlaneAnswer, "collected">(plane, { type: "gc" }, "collected", 30_000);
    return client.memory();
  };

  const seedStarted = performance.now();
  await client.seed(Array.from({ length: opts.agents }, (_, i) => nodeName(i)));
  const seedMs = performance.now() - seedStarted;
  const baseline = await measureWrites(client, opts.writes, opts.gapMs);
  const before = await memory();

  const token = await client.enrollmentToken(opts.agents);
  const groups = Array.from({ length: opts.procs }, (_, p) =>
    Array.from({ length: opts.agents }, (_, i) => i)
      .filter((i) => i % opts.procs === p)
      .map(nodeName),
  ).filter((g) => g.length > 0);
  const connectStarted = performance.now();
  const kids = groups.map(() => forkChild(FLEET_FILES[opts.kind]));
  await Promise.all(
    kids.map((kid, k) => {
      const req: AgentsRequest = {
        type: "start",
        server: url,
        enrollToken: token,
        nodes: groups[k]!,
        stateRoot: opts.stateRoot ? join(opts.stateRoot, basename(dir)) : join(dir, "agents"),
        batch: opts.batch,
      };
      return ask<AgentsAnswer, "started">(kid, req, "started", opts.deadlineS * 1000);
    }),
  );
  let connected = 0;
  let logged = performance.now();
  await until(`all ${opts.agents} agents connected and synced`, opts.deadlineS * 1000, async () => {
    connected = (await client.scrape()).connected;
    if (performance.now() - logged > 30_000) {
      logged = performance.now();
      console.error(`${connected} of ${opts.agents} agents connected`);
    }
    return connected === opts.agents && (await client.allApplied());
  });
  const connectMs = performance.now() - connectStarted;
  await new Promise((r) => setTimeout(r, 3_000)); // let the first status reports settle
  const after = await memory();
  const fleetStats = () =>
    Promise.all(kids.map((kid) => ask<AgentsAnswer, "stats">(kid, { type: "stats" }, "stats", 30_000)));
  const agentStats = await fleetStats();

  const beforeOne = await client.scrape();
  const one = await client.timedWrite();
  await new Promise((r) => setTimeout(r, 200)); // acks counted after wait answered are still one delta's
  const afterOne = await client.scrape();
  const wallStarted = performance.now();
  const loaded = await measureWrites(client, opts.writes, opts.gapMs);
  const wallSeconds = (performance.now() - wallStarted) / 1000;
  const afterAll = await client.scrape();
  const agentStatsAfter = await fleetStats();
  const sumCpu = (list: AgentsStats[]) => list.reduce((a, s) => a + s.cpuSeconds, 0);

  const report = () =>
    printReport({
      opts,
      cores: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? "unknown",
      seedMs,
      connectMs,
      baseline,
      loaded,
      one,
      oneFanout: summarizeFanout(histogramSince(afterOne.fanout, beforeOne.fanout)),
      allFanout: summarizeFanout(histogramSince(afterAll.fanout, afterOne.fanout)),
      send: summarizeFanout(histogramSince(afterAll.send, afterOne.send)),
      snapshotsDuringWrites: afterAll.snapshots - beforeOne.snapshots,
      before,
      after,
      agentStats: agentStats as AgentsStats[],
      cpu: {
        wallSeconds,
        plane: afterAll.cpuSeconds - afterOne.cpuSeconds,
        fleet: sumCpu(agentStatsAfter) - sumCpu(agentStats),
      },
      targets: { p50: TARGET_P50_MS, p99: TARGET_P99_MS },
    });
  if (!opts.restart) {
    await Promise.all(kids.map((kid) => stopChild(kid)));
    await stopChild(plane);
    report();
    return;
  }
  // The figures so far are printed first: a restart that misses its bounds ends the run.
  report();
  const restarted = await restartPlane(plane, start, url, client, kids, opts.agents);
  printRestart(restarted.result, opts.agents);
  await Promise.all(kids.map((kid) => stopChild(kid)));
  await stopChild(restarted.child);
}

interface RestartResult {
  /** SIGKILL to the new control plane listening. */
  startMs: number;
  /** SIGKILL to every agent connected again (as polled: /metrics once a second). */
  reconnectMs: number;
  /** Per agent, the kill to its welcome on the new control plane (the agents' own clocks), sorted. */
  welcomed: number[];
  /** SIGKILL to every agent at the revision it held (sync/wait at the current revision answering). */
  appliedMs: number;
  /** Snapshots the new control plane sent, and the agents received after reconnecting. */
  snapshotsSent: number;
  snapshotsReceived: number;
  /** The first write after the restart: its response, and response to every agent's ack. */
  write: WriteTiming;
}

/**
 * Kills the control plane (SIGKILL: no goodbye to the agents), starts a new one on the same
 * database and port, and times the fleet's return: reconnection, resume, and one write to every ack.
 */
async function restartPlane(
  plane: ReturnType<typeof forkChild>,
  start: PlaneRequest,
  url: string,
  client: PlaneClient,
  kids: ReturnType<typeof forkChild>[],
  agents: number,
): Promise<{ child: ReturnType<typeof forkChild>; result: RestartResult }> {
  for (const kid of kids) kid.send({ type: "reconnect" } satisfies AgentsCommand);
  const exited = new Promise((r) => plane.once("exit", r));
  const killed = performance.now();
  plane.kill("SIGKILL");
  await exited;
  const child = forkChild(PLANE_FILE, ["--expose-gc"]);
  await ask<PlaneAnswer, "ready">(child, { ...start, listen: new URL(url).host }, "ready", 60_000);
  const startMs = performance.now() - killed;
  // The old keep-alive connections died with the old process: a call may fail once.
  const tolerant = async (f: () => Promise<boolean>) => f().catch(() => false);
  let connectedAt10s: number | undefined;
  let last = 0;
  await until(
    `all ${agents} agents reconnected`,
    300_000,
    () =>
      tolerant(async () => {
        last = (await client.scrape()).connected;
        if (connectedAt10s === undefined && performance.now() - killed >= 10_000) {
          connectedAt10s = last;
          console.error(`${last} of ${agents} agents reconnected 10 s after the kill`);
        }
        return last === agents;
      }),
    1_000,
  ).catch((e: unknown) => {
    console.error(`${last} of ${agents} agents reconnected after 300 s`);
    throw e;
  });
  const reconnectMs = performance.now() - killed;
  await until("every agent resumed", 120_000, () => tolerant(() => client.allApplied()), 1_000);
  const appliedMs = performance.now() - killed;
  const write = await client.timedWrite();
  const stats = await Promise.all(
    kids.map((kid) => ask<AgentsAnswer, "stats">(kid, { type: "stats" }, "stats", 30_000)),
  );
  const welcomed = stats.flatMap((s) => s.welcomedAfterMs ?? []).sort((a, b) => a - b);
  return {
    child,
    result: {
      startMs,
      welcomed,
      reconnectMs,
      appliedMs,
      snapshotsSent: (await client.scrape()).snapshots,
      snapshotsReceived: stats.reduce((n, s) => n + (s.snapshotsAfterReconnect ?? 0), 0),
      write,
    },
  };
}

function printRestart(r: RestartResult, agents: number): void {
  const ms = (v: number) => `${Math.round(v).toLocaleString("en")} ms`;
  console.log("\n## Control-plane restart (SIGKILL, same database and port)\n");
  console.log("| measure | value | goal |");
  console.log("| --- | --- | --- |");
  const at = (q: number) =>
    r.welcomed[Math.min(r.welcomed.length - 1, Math.floor(q * r.welcomed.length))] ?? NaN;
  const sinceListen = (v: number) => ms(v - r.startMs);
  console.log(`| new control plane listening | ${ms(r.startMs)} | |`);
  console.log(`| all ${agents.toLocaleString("en")} agents reconnected (polled) | ${ms(r.reconnectMs)} | |`);
  console.log(
    `| agents welcomed again (their clocks): ${r.welcomed.length.toLocaleString("en")}, p50 / p99 / last | ${ms(at(0.5))} / ${ms(at(0.99))} / ${ms(at(1))} | |`,
  );
  console.log(
    `| the same from the new control plane listening: p50 / p99 / last | ${sinceListen(at(0.5))} / ${sinceListen(at(0.99))} / **${sinceListen(at(1))}** | <= 10 s |`,
  );
  console.log(`| every agent resumed (at the current revision) | ${ms(r.appliedMs)} | <= 60 s |`);
  console.log(
    `| snapshots sent / received after the restart | ${r.snapshotsSent} / ${r.snapshotsReceived} | 0 (resume from the log) |`,
  );
  console.log(
    `| first write after: response / response to every ack | ${ms(r.write.writeMs)} / ${ms(r.write.ackAllMs)} | |`,
  );
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.cpuProf) profileChildrenInto(opts.cpuProf);
  const deadline = setTimeout(() => {
    console.error(`the run took longer than --deadline-s ${opts.deadlineS}; stopping`);
    process.exit(2); // the exit hook in children.ts kills every child
  }, opts.deadlineS * 1000);
  deadline.unref();
  const dir = mkdtempSync(join(tmpdir(), "palisade-fanout-"));
  // On every exit (done, failed, deadline, signal), after children.ts's hook killed the children.
  process.once("exit", () => {
    rmSync(dir, { recursive: true, force: true });
    if (opts.stateRoot) rmSync(join(opts.stateRoot, basename(dir)), { recursive: true, force: true });
  });
  await run(opts, dir);
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
