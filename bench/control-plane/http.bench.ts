// Measures durable policy writes per second through the REST API: a real server in a child process
// over a file database, seeded through the API with a generated cluster, then a bounded mix of
// NetworkPolicy creates and updates at a fixed concurrency; GET /healthz in the same run is the
// baseline, so writes/healthz compares across machines. Traffic goes to 127.0.0.1 only.
// Run: node --import tsx bench/control-plane/http.bench.ts [--writes N] [--concurrency N] [--sync normal,full] [--group on,off]
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Cluster, generateCluster } from "./generate.ts";
import {
  assertAllOk,
  type Client,
  createClient,
  type HttpCall,
  type LoadResult,
  runLoad,
} from "./http-load.ts";
import type { Synchronous } from "./http-server.ts";
import { seedCalls, writeCalls } from "./http-workload.ts";
import { count, ms, section, table } from "./report.ts";
import { startServerChild, stopServerChild } from "./server-child.ts";
import { spread } from "./stats.ts";

/** Durable policy writes per second the API is held to. */
export const TARGET_WRITES_PER_SECOND = 2_000;
/** The whole run stops (and says so) after this long, whatever happens. */
const DEADLINE_MS = 10 * 60_000;

interface Options {
  writes: number;
  concurrency: number;
  namespaces: number;
  endpoints: number;
  seed: number;
  sync: Synchronous[];
  /** Group commit on and/or off (off = each write its own transaction: the same-run baseline). */
  group: boolean[];
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      writes: { type: "string", default: "5000" },
      concurrency: { type: "string", default: "16" },
      namespaces: { type: "string", default: "100" },
      endpoints: { type: "string", default: "2000" },
      seed: { type: "string", default: "1" },
      sync: { type: "string", default: "normal,full" },
      group: { type: "string", default: "on" },
    },
  });
  const int = (name: "writes" | "concurrency" | "namespaces" | "endpoints" | "seed", min: number) => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < min)
      throw new RangeError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(values[name])}`);
    return v;
  };
  const sync = values.sync.split(",").map((s) => s.trim());
  for (const s of sync) {
    if (s !== "normal" && s !== "full")
      throw new RangeError(`--sync must list normal and/or full, got ${JSON.stringify(values.sync)}`);
  }
  const group = values.group.split(",").map((g) => {
    if (g.trim() !== "on" && g.trim() !== "off")
      throw new RangeError(`--group must list on and/or off, got ${JSON.stringify(values.group)}`);
    return g.trim() === "on";
  });
  return {
    group,
    writes: int("writes", 1),
    concurrency: int("concurrency", 1),
    namespaces: int("namespaces", 2),
    endpoints: int("endpoints", 1),
    seed: int("seed", 0),
    sync: sync as Synchronous[],
  };
}

interface RunResult {
  sync: Synchronous;
  group: boolean;
  synchronousLevel: number | null;
  seedMs: number;
  seededRevision: number;
  finalRevision: number;
  healthz: LoadResult;
  writes: LoadResult;
  creates: number;
  updates: number;
  dbBytes: number;
}

async function revisionOf(client: Client): Promise<number> {
  const answer = await client.call({ method: "GET", path: "/v1/revision" });
  return (JSON.parse(answer.body) as { revision: number }).revision;
}

function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

async function runOnce(
  sync: Synchronous,
  group: boolean,
  opts: Options,
  cluster: Cluster,
  writes: HttpCall[],
): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), "palisade-http-bench-"));
  const dbPath = join(dir, "p.db");
  const adminToken = `bench_${randomBytes(16).toString("hex")}`;
  const { child, ready } = await startServerChild({ dbPath, adminToken, synchronous: sync, group });
  const client = createClient(ready.url, { adminToken, connections: opts.concurrency });
  try {
    const seeds = seedCalls(cluster);
    const seedStarted = performance.now();
    assertAllOk("seeding namespaces", await runLoad(client, seeds.namespaces, opts.concurrency));
    assertAllOk("seeding endpoints", await runLoad(client, seeds.endpoints, opts.concurrency));
    const seedMs = performance.now() - seedStarted;
    const seededRevision = await revisionOf(client);
    const healthCalls = writes.map((): HttpCall => ({ method: "GET", path: "/healthz" }));
    const healthz = await runLoad(client, healthCalls, opts.concurrency);
    assertAllOk("GET /healthz", healthz);
    const result = await runLoad(client, writes, opts.concurrency);
    assertAllOk("policy writes", result);
    const finalRevision = await revisionOf(client);
    if (finalRevision !== seededRevision + writes.length)
      throw new Error(
        `expected revision ${seededRevision + writes.length} after the writes, got ${finalRevision}`,
      );
    return {
      sync,
      group,
      synchronousLevel: ready.synchronousLevel,
      seedMs,
      seededRevision,
      finalRevision,
      healthz,
      writes: result,
      creates: result.statuses.get(201) ?? 0,
      updates: result.statuses.get(200) ?? 0,
      dbBytes: fileBytes(dbPath) + fileBytes(`${dbPath}-wal`),
    };
  } finally {
    client.close();
    await stopServerChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

function label(r: RunResult): string {
  return `${r.sync.toUpperCase()}, group ${r.group ? "on" : "off"}`;
}

function perSecond(r: LoadResult): number {
  return r.latenciesMs.length / (r.wallMs / 1000);
}

function printRuns(runs: RunResult[]): void {
  section("Policy writes (PUT /v1/namespaces/{ns}/networkpolicies/{name})");
  const rows = runs.map((r) => {
    const w = spread(r.writes.latenciesMs);
    const h = spread(r.healthz.latenciesMs);
    const wps = perSecond(r.writes);
    const hps = perSecond(r.healthz);
    return [
      `${label(r)}${r.synchronousLevel === null ? "" : ` (read back: ${r.synchronousLevel})`}`,
      `${count(wps)}/s`,
      `${ms(w.p50)} / ${ms(w.p99)} / ${ms(w.max)}`,
      `${count(hps)}/s`,
      `${ms(h.p50)} / ${ms(h.p99)}`,
      `${((wps / hps) * 100).toFixed(1)}%`,
      `>= ${count(TARGET_WRITES_PER_SECOND)}/s: ${wps >= TARGET_WRITES_PER_SECOND ? "ok" : "MISSED"}`,
    ];
  });
  console.log(
    table(
      [
        "synchronous",
        "writes",
        "write p50 / p99 / max",
        "healthz",
        "healthz p50 / p99",
        "writes / healthz",
        "target",
      ],
      rows,
    ),
  );
  section("Run details");
  console.log(
    table(
      ["synchronous", "seed (PUTs)", "seed time", "creates / updates", "revisions", "db + wal"],
      runs.map((r) => [
        label(r),
        count(r.seededRevision),
        ms(r.seedMs),
        `${count(r.creates)} / ${count(r.updates)}`,
        `${count(r.seededRevision)} -> ${count(r.finalRevision)}`,
        `${(r.dbBytes / 2 ** 20).toFixed(1)} MiB`,
      ]),
    ),
  );
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const deadline = setTimeout(() => {
    console.error(`the benchmark did not finish within ${DEADLINE_MS / 60_000} minutes; stopping`);
    process.exit(2);
  }, DEADLINE_MS);
  deadline.unref();
  const nodes = Math.max(1, Math.round(opts.endpoints / 100));
  const cluster = generateCluster({
    seed: opts.seed,
    namespaces: opts.namespaces,
    endpoints: opts.endpoints,
    nodes,
    policies: 0,
    appsPerNamespace: 10,
  });
  const writes = writeCalls(cluster, opts.writes, opts.seed);
  console.log("# HTTP write benchmark\n");
  console.log(
    `Node ${process.version}, ${availableParallelism()} CPUs; ${opts.namespaces} namespaces, ${opts.endpoints} endpoints on ${nodes} nodes (seeded through the API), ` +
      `${count(opts.writes)} policy writes at concurrency ${opts.concurrency} (keep-alive connections), seed ${opts.seed}; ` +
      "server in a child process, client in this one, 127.0.0.1 only.",
  );
  const runs: RunResult[] = [];
  for (const sync of opts.sync)
    for (const group of opts.group) runs.push(await runOnce(sync, group, opts, cluster, writes));
  printRuns(runs);
  clearTimeout(deadline);
}

await main();
