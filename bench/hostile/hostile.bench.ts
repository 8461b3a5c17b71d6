// Measures how long the control plane stops answering while hostile writes run (issue 10 section
// 1): a real server in a child process over a file database, seeded through the API with the
// generated cluster (10,000 endpoints, 1,000 policies at --scale 1), /healthz polled every 10 ms
// from this process with no writes (the baseline), during ordinary policy writes, and during each
// hostile write; prints each write's own time and answer. Traffic goes to 127.0.0.1 only.
// With --against DIR, the control plane of another checkout (DIR/bench/control-plane/http-server.ts,
// e.g. the main branch) runs beside this one, seeded alike, each step measured on both in turn:
// a same-run baseline on a shared machine.
// Run: node --import tsx bench/hostile/hostile.bench.ts [--scale N] [--runs N] [--against DIR]
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { renderNetworkPolicy } from "../../api/policy/validation/index.ts";
import { type Cluster, generateCluster, scaledParams } from "../control-plane/generate.ts";
import {
  assertAllOk,
  type Client,
  createClient,
  type HttpCall,
  runLoad,
} from "../control-plane/http-load.ts";
import { seedCalls } from "../control-plane/http-workload.ts";
import { count, ms, section, table, verdict } from "../control-plane/report.ts";
import { startServerChild, stopServerChild } from "../control-plane/server-child.ts";
import { median, spread } from "../control-plane/stats.ts";
import { hostileWrites, ordinaryWrite } from "./bodies.ts";
import { pollHealthz } from "./poller.ts";

/** Issue 10 section 1: no single write blocks the event loop longer than this. */
const MAX_BLOCK_MS = 100;
/** Issue 10 section 1: an over-capacity write is refused within this. */
const MAX_REFUSAL_MS = 50;
const POLL_MS = 10;

const { values } = parseArgs({
  options: {
    scale: { type: "string", default: "1" },
    runs: { type: "string", default: "3" },
    baseline: { type: "string", default: "3000" },
    against: { type: "string" },
  },
});
const scale = Number(values.scale);
const runs = Number(values.runs);
const baselineMs = Number(values.baseline);

interface Row {
  name: string;
  bytes: number;
  answers: string;
  writeMs: number[];
  healthz: number[];
}

/** One control plane under test: its process and where to reach it. */
interface Server {
  label: string;
  child: ChildProcess;
  url: string;
  adminToken: string;
  seedMs: number;
  rows: Row[];
}

/**
 * Fresh connections for each step: a pool left idle while the other server works (seconds) holds
 * sockets the server has closed on its keep-alive timeout, and reusing one races into ECONNRESET.
 */
async function withClients<T>(server: Server, fn: (client: Client, poll: Client) => Promise<T>): Promise<T> {
  const { url, adminToken } = server;
  const client = createClient(url, { adminToken, connections: 4, timeoutMs: 600_000 });
  const poll = createClient(url, { adminToken, connections: 64, timeoutMs: 600_000 });
  try {
    return await fn(client, poll);
  } finally {
    client.close();
    poll.close();
  }
}

/** Sends `call` `times` times in a row while polling /healthz; one row of the report. */
function measure(server: Server, name: string, calls: (i: number) => HttpCall, times: number): Promise<Row> {
  return withClients(server, (client, poll) => measureWith(client, poll, name, calls, times));
}

async function measureWith(
  client: Client,
  poll: Client,
  name: string,
  calls: (i: number) => HttpCall,
  times: number,
): Promise<Row> {
  const poller = pollHealthz(poll, POLL_MS);
  const writeMs: number[] = [];
  const answers = new Map<string, number>();
  let bytes = 0;
  for (let i = 0; i < times; i++) {
    const c = calls(i);
    bytes = Buffer.byteLength(c.body ?? "");
    const a = await client.call(c);
    writeMs.push(a.ms);
    const code =
      a.status >= 400 ? ` ${(JSON.parse(a.body) as { error?: { code?: string } }).error?.code}` : "";
    const key = `${a.status}${code}`;
    answers.set(key, (answers.get(key) ?? 0) + 1);
  }
  const healthz = await poller.stop();
  return { name, bytes, answers: [...answers].map(([k, n]) => `${n} x ${k}`).join(", "), writeMs, healthz };
}

function baselineRow(server: Server): Promise<Row> {
  return withClients(server, async (_client, poll) => {
    const poller = pollHealthz(poll, POLL_MS);
    await new Promise((r) => setTimeout(r, baselineMs));
    return { name: "baseline: no writes", bytes: 0, answers: "-", writeMs: [], healthz: await poller.stop() };
  });
}

async function startSeeded(
  label: string,
  file: string | undefined,
  cluster: Cluster,
  dir: string,
): Promise<Server> {
  const adminToken = `bench_${randomBytes(16).toString("hex")}`;
  const { child, ready } = await startServerChild(
    { dbPath: join(dir, `${label.replace(/\W+/g, "-")}.db`), adminToken, synchronous: "normal" },
    file,
  );
  const server: Server = { label, child, url: ready.url, adminToken, seedMs: 0, rows: [] };
  try {
    server.seedMs = await seed(server, cluster);
  } catch (err) {
    await stop(server);
    throw err;
  }
  return server;
}

/** Seeds the cluster through the API; returns how long it took. */
async function seed({ url, adminToken }: Server, cluster: Cluster): Promise<number> {
  const client = createClient(url, { adminToken, connections: 4, timeoutMs: 600_000 });
  const seeds = seedCalls(cluster);
  const policies = cluster.policies.map((p): HttpCall => {
    const o = renderNetworkPolicy(p);
    const { name, namespace } = o.metadata as { name: string; namespace: string };
    return {
      method: "PUT",
      path: `/v1/namespaces/${namespace}/networkpolicies/${name}`,
      body: JSON.stringify(o),
    };
  });
  const started = performance.now();
  try {
    assertAllOk("seeding namespaces", await runLoad(client, seeds.namespaces, 4));
    assertAllOk("seeding endpoints", await runLoad(client, seeds.endpoints, 4));
    assertAllOk("seeding policies", await runLoad(client, policies, 4));
  } finally {
    client.close();
  }
  return performance.now() - started;
}

function stop(server: Server): Promise<void> {
  return stopServerChild(server.child);
}

function printServer(server: Server, cluster: Cluster, ns: string, members: number): void {
  const { rows } = server;
  section(
    `Hostile writes (${server.label}): ${count(cluster.endpoints.length)} endpoints, ${count(cluster.policies.length)} policies ` +
      `(seeded in ${ms(server.seedMs)}); target namespace ${ns} (${members} endpoints); /healthz every ${POLL_MS} ms`,
  );
  const base = spread(rows[0]!.healthz);
  console.log(
    table(
      [
        "write",
        "body",
        "answers",
        "write median / max",
        "/healthz p50 / p99 / max",
        "max vs baseline max",
        `max <= ${MAX_BLOCK_MS} ms`,
      ],
      rows.map((r) => {
        const h = spread(r.healthz);
        const w = r.writeMs.length ? `${ms(median(r.writeMs))} / ${ms(Math.max(...r.writeMs))}` : "-";
        return [
          r.name,
          r.bytes ? `${(r.bytes / 1024).toFixed(0)} KiB` : "-",
          r.answers,
          w,
          `${ms(h.p50)} / ${ms(h.p99)} / ${ms(h.max)}`,
          `${(h.max / base.max).toFixed(1)}x`,
          verdict(h.max, MAX_BLOCK_MS),
        ];
      }),
    ),
  );
  const accepted = median(rows[1]!.writeMs);
  section(`Refused vs accepted write cost, medians (${server.label})`);
  console.log(
    table(
      ["write", "median", "vs accepted", `capacity refusal <= ${MAX_REFUSAL_MS} ms`],
      rows.slice(1).map((r) => {
        const m = median(r.writeMs);
        const capacity = r.answers.includes("capacity.exceeded") ? verdict(m, MAX_REFUSAL_MS) : "-";
        return [r.name, ms(m), `${(m / accepted).toFixed(2)}x`, capacity];
      }),
    ),
  );
}

/** This tree against the baseline tree, step by step (the steps ran on both in turn). */
function printComparison(ours: Server, theirs: Server): void {
  section(`${ours.label} vs ${theirs.label}, same run (ratio: ${ours.label} / ${theirs.label})`);
  console.log(
    table(
      ["write", "answers", "write median", "ratio", "/healthz max", "ratio"],
      ours.rows.map((r, i) => {
        const t = theirs.rows[i]!;
        const [wo, wt] = [r.writeMs.length ? median(r.writeMs) : 0, t.writeMs.length ? median(t.writeMs) : 0];
        const [ho, ht] = [spread(r.healthz).max, spread(t.healthz).max];
        return [
          r.name,
          r.answers === t.answers ? r.answers : `${r.answers} (was ${t.answers})`,
          wo ? `${ms(wo)} / ${ms(wt)}` : "-",
          wo ? `${(wo / wt).toFixed(2)}x` : "-",
          `${ms(ho)} / ${ms(ht)}`,
          `${(ho / ht).toFixed(2)}x`,
        ];
      }),
    ),
  );
}

async function main(): Promise<void> {
  const cluster = generateCluster(scaledParams(scale));
  const dir = mkdtempSync(join(tmpdir(), "palisade-hostile-bench-"));
  const servers: Server[] = [];
  try {
    servers.push(await startSeeded("this tree", undefined, cluster, dir));
    if (values.against) {
      const file = join(resolve(values.against), "bench/control-plane/http-server.ts");
      servers.push(await startSeeded(`against ${values.against}`, file, cluster, dir));
    }
    // The namespace with the most endpoints: `podSelector: {}` there selects the most sets.
    const perNs = new Map<string, number>();
    for (const e of cluster.endpoints) perNs.set(e.namespace, (perNs.get(e.namespace) ?? 0) + 1);
    const [ns, members] = [...perNs].sort((a, b) => b[1] - a[1])[0]!;
    // Each step on every server in turn, the order alternating, so that load from elsewhere falls
    // on both alike.
    const steps: ((s: Server) => Promise<Row>)[] = [
      baselineRow,
      (s) => measure(s, "ordinary policy write (accepted)", (i) => ordinaryWrite(ns, i), 20),
      ...hostileWrites(ns).map((w) => (s: Server) => measure(s, w.name, () => w.call, runs)),
    ];
    for (const [i, step] of steps.entries()) {
      for (const s of i % 2 === 0 ? servers : [...servers].reverse()) s.rows.push(await step(s));
    }
    for (const s of servers) printServer(s, cluster, ns, members);
    if (servers.length === 2) printComparison(servers[0]!, servers[1]!);
  } finally {
    for (const s of servers) await stop(s);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
