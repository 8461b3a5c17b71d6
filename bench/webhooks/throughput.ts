// Measures webhook delivery throughput to a fast receiver, alone (baseline) and with a slow
// receiver subscribed to the same events, in one run. Real HTTP on loopback, a SQLite file.
// Usage: node --import tsx bench/webhooks/throughput.ts [--events N] [--slow-ms MS] [--rounds R]
// Rounds alternate the two runs so machine noise hits both alike; medians are reported.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createDeps } from "../../api/deps.ts";
import { createApp } from "../../api/server.ts";
import { openDatabase } from "../../db/client.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "3000" },
    "slow-ms": { type: "string", default: "2000" },
    rounds: { type: "string", default: "5" },
  },
});
const EVENTS = Number(values.events);
const SLOW_MS = Number(values["slow-ms"]);
const ROUNDS = Number(values.rounds);
const ADMIN = "bench-admin";

interface Receiver {
  url: string;
  count: number;
  firstAt: number;
  lastAt: number;
  server: Server;
}

async function receiver(delayMs: number): Promise<Receiver> {
  const r: Receiver = { url: "", count: 0, firstAt: 0, lastAt: 0, server: undefined as unknown as Server };
  r.server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const answer = () => {
        r.count++;
        r.lastAt = performance.now();
        if (r.firstAt === 0) r.firstAt = r.lastAt;
        res.writeHead(204).end();
      };
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => r.server.listen(0, "127.0.0.1", resolve));
  r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}/hook`;
  return r;
}

/** One run: subscribe the receivers, enqueue EVENTS policy events in one bundle, time the fast one. */
async function run(label: string, withSlow: boolean) {
  const dir = mkdtempSync(join(tmpdir(), "palisade-bench-webhooks-"));
  const database = openDatabase(join(dir, "p.db"));
  const deps = createDeps(database, {
    adminToken: ADMIN,
    log: () => {},
    webhooks: { allowNetworks: ["127.0.0.0/8"], startWorker: false },
  });
  const app = createApp(deps);
  const call = (method: string, path: string, body: unknown) =>
    app.request(path, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const fast = await receiver(0);
  const slow = await receiver(SLOW_MS);
  await call("POST", "/v1/webhooks", { url: fast.url, events: ["policy.created"] });
  if (withSlow) await call("POST", "/v1/webhooks", { url: slow.url, events: ["policy.created"] });
  await call("PUT", "/v1/namespaces/bench", { labels: {} });
  // Bundles of at most 2,000 policies (POST /v1/apply takes 5,000 documents).
  for (let from = 0; from < EVENTS; from += 2000) {
    const bundle: unknown[] = [];
    for (let i = from; i < Math.min(EVENTS, from + 2000); i++) {
      bundle.push({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { namespace: "bench", name: `p${i}` },
        spec: { podSelector: { matchLabels: { app: `a${i}` } }, policyTypes: ["Ingress"] },
      });
    }
    const applied = await call("POST", "/v1/apply", bundle);
    if (applied.status !== 200) throw new Error(`apply failed: ${await applied.text()}`);
  }
  const started = performance.now();
  deps.webhooks.worker.start();
  while (fast.count < EVENTS) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - started) / 1000;
  const slowDelivered = slow.count;
  await deps.webhooks.worker.stop();
  const result = {
    run: label,
    events: EVENTS,
    fastSeconds: Number(seconds.toFixed(3)),
    fastEventsPerSecond: Math.round(EVENTS / seconds),
    slowDeliveredMeanwhile: withSlow ? slowDelivered : null,
    slowQueued: withSlow ? EVENTS - slowDelivered : null,
  };
  fast.server.closeAllConnections();
  slow.server.closeAllConnections();
  fast.server.close();
  slow.server.close();
  database.close();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const alone: Awaited<ReturnType<typeof run>>[] = [];
const mixed: Awaited<ReturnType<typeof run>>[] = [];
for (let round = 0; round < ROUNDS; round++) {
  alone.push(await run("fast receiver alone", false));
  mixed.push(await run(`fast receiver + slow receiver (${SLOW_MS} ms per request)`, true));
}
const rate = (rs: typeof alone) => median(rs.map((r) => r.fastEventsPerSecond));
for (const rs of [alone, mixed]) {
  console.log(
    `${rs[0]!.run}: median ${rate(rs)} events/s to the fast receiver over ${ROUNDS} rounds of ${EVENTS} events ` +
      `(${rs.map((r) => r.fastEventsPerSecond).join(", ")})` +
      (rs[0]!.slowDeliveredMeanwhile === null
        ? ""
        : `; the slow receiver got ${rs.map((r) => r.slowDeliveredMeanwhile).join(", ")} meanwhile`),
  );
}
console.log(`ratio with/without the slow receiver: ${(rate(mixed) / rate(alone)).toFixed(2)}`);
console.log(JSON.stringify({ node: process.version, events: EVENTS, slowMs: SLOW_MS, alone, mixed }));
