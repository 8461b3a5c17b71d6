// Measures what the hostile bodies that are refused cost through the whole API (body read, scan,
// parse, validation, the store's capacity refusal, the error answer), in one process: the app over
// an in-memory database with one endpoint the policies select, no HTTP socket. With --against DIR,
// another checkout's app (DIR/api/testing.ts, e.g. the main branch) runs in the same process and
// the requests alternate between the two: a same-run baseline for the refusal cost on a shared
// machine. The 128 x 100 policy is left out (it is accepted: hostile.bench.ts measures it).
// Besides the answer time, each request's main-thread time (event-loop utilisation: what the
// event loop spent running, not waiting, during the request) and its longest event-loop block
// (the longest gap between ticks of a 1 ms timer) are reported: a YAML body parsed in the worker thread
// (api/http/yaml-worker.ts) costs answer time but little main-thread time.
// Run: node --import tsx bench/hostile/refusals.bench.ts [--runs N] [--against DIR]
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { createTestApp } from "../../api/testing.ts";
import { ms, section, table } from "../control-plane/report.ts";
import { median } from "../control-plane/stats.ts";
import { hostileWrites } from "./bodies.ts";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "15" }, against: { type: "string" } },
});
const runs = Number(values.runs);

type App = Pick<ReturnType<typeof createTestApp>, "call">;

async function seeded(app: App, ns: string): Promise<App> {
  await app.call("PUT", `/v1/namespaces/${ns}`, "{}");
  const endpoint = { node: "n1", interface: "eth0", ips: ["10.200.0.1"], labels: { app: "x" } };
  const res = await app.call("PUT", `/v1/namespaces/${ns}/endpoints/e`, JSON.stringify(endpoint));
  if (res.status !== 201) throw new Error(`seeding answered ${res.status}`);
  return app;
}

/** The longest the event loop went without turning: the largest gap between ticks of a 1 ms timer. */
function blockProbe(): { stop(): Promise<number> } {
  let last = performance.now();
  let longest = 0;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  };
  const timer = setInterval(tick, 1);
  return {
    async stop() {
      await sleep(2); // a block just before stop is seen once the timer runs after it
      tick();
      clearInterval(timer);
      return longest;
    },
  };
}

async function main(): Promise<void> {
  const ns = "hostile";
  const apps: [string, App][] = [["this tree", await seeded(createTestApp(), ns)]];
  if (values.against) {
    const dir = resolve(values.against);
    const other = (await import(pathToFileURL(join(dir, "api/testing.ts")).href)) as {
      createTestApp: () => App;
    };
    apps.push([`against ${values.against}`, await seeded(other.createTestApp(), ns)]);
  }
  const writes = hostileWrites(ns).filter((w) => !w.accepted);
  const rows: string[][] = [];
  for (const w of writes) {
    const samples = apps.map(() => ({ answer: [] as number[], main: [] as number[], block: [] as number[] }));
    const answers = apps.map(() => "");
    for (let i = 0; i < runs; i++) {
      // Alternating order: neither app always runs right after the other's garbage.
      const order = i % 2 === 0 ? apps.keys() : [...apps.keys()].reverse();
      for (const a of order) {
        const block = blockProbe();
        const elu = performance.eventLoopUtilization();
        const started = performance.now();
        const res = await apps[a]![1].call(w.call.method, w.call.path, w.call.body, { type: w.call.type });
        samples[a]!.answer.push(performance.now() - started);
        samples[a]!.main.push(performance.eventLoopUtilization(elu).active);
        samples[a]!.block.push(await block.stop());
        answers[a] = `${res.status} ${res.body?.error?.code ?? ""}`.trim();
      }
    }
    const row = [w.name, answers[0]!];
    for (const s of samples) row.push(ms(median(s.answer)), ms(median(s.main)), ms(Math.max(...s.block)));
    if (apps.length === 2) {
      const ratio = (k: "answer" | "main") =>
        `${(median(samples[0]![k]) / median(samples[1]![k])).toFixed(2)}x`;
      row.push(ratio("answer"), ratio("main"));
    }
    rows.push(row);
  }
  section(`Refused hostile writes through the API, in process (median of ${runs}; block: max)`);
  const headers = ["write", "answer"];
  for (const [label] of apps) headers.push(`${label}: answer`, "main thread", "longest block");
  if (apps.length === 2) headers.push("answer ratio", "main-thread ratio");
  console.log(table(headers, rows));
}

await main();
