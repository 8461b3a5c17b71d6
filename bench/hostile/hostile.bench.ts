// Measures how long the control plane stops answering while hostile writes run (issue 10 section
// 1): a real server in a child process over a file database, seeded through the API with the
// generated cluster (10,000 endpoints, 1,000 policies at --scale 1), /healthz polled every 10 ms
// from this process with no writes (the baseline), during ordinary policy writes, and during each
// hostile write; prints each write's own time and answer. Traffic goes to 127.0.0.1 only.
// Run: node --import tsx bench/hostile/hostile.bench.ts [--scale N] [--runs N]
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { renderNetworkPolicy } from "../../api/policy/validation/index.ts";
import { generateCluster, scaledParams } from "../control-plane/generate.ts";
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

/** Sends `call` `times` times in a row while polling /healthz; one row of the report. */
async function measure(
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

async function main(): Promise<void> {
  const cluster = generateCluster(scaledParams(scale));
  const dir = mkdtempSync(join(tmpdir(), "palisade-hostile-bench-"));
  const adminToken = `bench_${randomBytes(16).toString("hex")}`;
  const { child, ready } = await startServerChild({
    dbPath: join(dir, "p.db"),
    adminToken,
    synchronous: "normal",
  });
  const client = createClient(ready.url, { adminToken, connections: 4, timeoutMs: 600_000 });
  const poll = createClient(ready.url, { adminToken, connections: 64, timeoutMs: 600_000 });
  try {
    const seeds = seedCalls(cluster);
    const seedStarted = performance.now();
    assertAllOk("seeding namespaces", await runLoad(client, seeds.namespaces, 4));
    assertAllOk("seeding endpoints", await runLoad(client, seeds.endpoints, 4));
    const policies = cluster.policies.map((p): HttpCall => {
      const o = renderNetworkPolicy(p);
      const { name, namespace } = o.metadata as { name: string; namespace: string };
      return {
        method: "PUT",
        path: `/v1/namespaces/${namespace}/networkpolicies/${name}`,
        body: JSON.stringify(o),
      };
    });
    assertAllOk("seeding policies", await runLoad(client, policies, 4));
    const seedMs = performance.now() - seedStarted;
    // The namespace with the most endpoints: `podSelector: {}` there selects the most sets.
    const perNs = new Map<string, number>();
    for (const e of cluster.endpoints) perNs.set(e.namespace, (perNs.get(e.namespace) ?? 0) + 1);
    const [ns, members] = [...perNs].sort((a, b) => b[1] - a[1])[0]!;

    const baseline = pollHealthz(poll, POLL_MS);
    await new Promise((r) => setTimeout(r, baselineMs));
    const rows: Row[] = [
      { name: "baseline: no writes", bytes: 0, answers: "-", writeMs: [], healthz: await baseline.stop() },
    ];
    rows.push(
      await measure(client, poll, "ordinary policy write (accepted)", (i) => ordinaryWrite(ns, i), 20),
    );
    for (const w of hostileWrites(ns)) rows.push(await measure(client, poll, w.name, () => w.call, runs));

    section(
      `Hostile writes: ${count(cluster.endpoints.length)} endpoints, ${count(cluster.policies.length)} policies ` +
        `(seeded in ${ms(seedMs)}); target namespace ${ns} (${members} endpoints); /healthz every ${POLL_MS} ms`,
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
    section("Refused vs accepted write cost (medians)");
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
  } finally {
    client.close();
    poll.close();
    await stopServerChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
