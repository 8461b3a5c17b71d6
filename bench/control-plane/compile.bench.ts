// Measures the policy compiler on a generated cluster: full compile, entries per node, change ->
// per-node deltas latency by kind of change, and memory; each time also as a multiple of a
// baseline (structuredClone of the input) measured in the same run, so machines compare.
// Run: node --expose-gc --import tsx bench/control-plane/compile.bench.ts [--scale N] [--seed N]
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { PolicyEngine } from "../../api/policy/compiler/engine.ts";
import type { Change } from "../../api/policy/compiler/object-change.ts";
import { measureChanges, type ScenarioResult } from "./change-latency.ts";
import { generateClusterPolicies } from "./cluster-policies.ts";
import { type Cluster, generateCluster, loadChanges, scaledParams } from "./generate.ts";
import { createRng } from "./prng.ts";
import { count, mib, ms, section, table, verdict } from "./report.ts";
import { changeScenarios, clusterScenarios } from "./scenarios.ts";
import { collectGarbage, type MemoryReading, median, memoryNow, peakRssMiB, spread, timed } from "./stats.ts";

/** The figures the control plane is held to (for the full-size cluster). */
export const TARGETS = { fullCompileMs: 1000, changeP99Ms: 10 } as const;

interface Options {
  scale: number;
  seed: number;
  runs: number;
  changes: number;
  /** ClusterNetworkPolicies added to the cluster (0: none, the NetworkPolicy-only figures). */
  cnps: number;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      scale: { type: "string", default: "1" },
      seed: { type: "string", default: "1" },
      runs: { type: "string", default: "3" },
      changes: { type: "string", default: "100" },
      cnps: { type: "string", default: "0" },
    },
  });
  const num = (name: keyof typeof values, integer: boolean): number => {
    const v = Number(values[name]);
    if (!(v > 0) || (integer && !Number.isInteger(v))) {
      const rule = integer ? "a positive integer" : "a positive number";
      throw new RangeError(`--${name} must be ${rule}, got ${JSON.stringify(values[name])}`);
    }
    return v;
  };
  return {
    scale: num("scale", false),
    seed: num("seed", true),
    runs: num("runs", true),
    changes: num("changes", true),
    cnps: values.cnps === "0" ? 0 : num("cnps", true),
  };
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const memBefore = memoryNow();
  const cluster = generateCluster(scaledParams(opts.scale, opts.seed));
  const memInput = memoryNow();
  const input = { namespaces: cluster.namespaces, endpoints: cluster.endpoints, policies: cluster.policies };

  const cloneMs = median(repeat(Math.max(opts.runs, 5), () => timed(() => structuredClone(input))[0]));
  const changes = loadChanges(cluster);
  let engine = new PolicyEngine();
  const compileTimes = repeat(opts.runs, () => {
    // Each run starts from a fresh engine and a clean heap: no run pays for the last one's garbage.
    engine = new PolicyEngine();
    collectGarbage();
    // As the store loads: a first load records no journal.
    return timed(() => engine.apply(changes, { journal: null }))[0];
  });
  let compileMs = median(compileTimes);
  // With cluster policies: the same cluster plus --cnps of them, timed in the same run, so the
  // ratio to the NetworkPolicy-only compile is the figure that travels between machines.
  const cnps = generateClusterPolicies(createRng(opts.seed + 7), opts.cnps);
  const withCnps: Change[] = [
    ...changes,
    ...cnps.map((value, i): Change => ({ kind: "clusterpolicy", op: "upsert", id: i + 1, value })),
  ];
  let cnpRows: string[][] = [];
  if (opts.cnps > 0) {
    const npOnlyMs = compileMs;
    const times = repeat(opts.runs, () => {
      engine = new PolicyEngine();
      collectGarbage();
      return timed(() => engine.apply(withCnps, { journal: null }))[0];
    });
    compileMs = median(times);
    cnpRows = [
      [
        `full compile, NetworkPolicy only, median of ${opts.runs}`,
        ms(npOnlyMs),
        (npOnlyMs / cloneMs).toFixed(1),
        "",
        "",
      ],
      [
        `  with ${opts.cnps} ClusterNetworkPolicies: x NetworkPolicy only`,
        (compileMs / npOnlyMs).toFixed(2),
        "",
        "",
        "",
      ],
      [
        `full compile with ${opts.cnps} ClusterNetworkPolicies, all runs`,
        times.map((t) => t.toFixed(0)).join(" / "),
        "",
        "",
        "",
      ],
    ];
  }
  const memEngine = memoryNow();
  const peakAfterCompile = peakRssMiB();

  printCluster(cluster, engine, opts, fingerprint(input));
  section("Baseline and full compile");
  console.log(
    table(
      ["figure", "value", "x clone", "target", "status"],
      [
        ["structuredClone(input), median", ms(cloneMs), "1.0", "", ""],
        [
          `full compile, median of ${opts.runs}`,
          ms(compileMs),
          (compileMs / cloneMs).toFixed(1),
          `<= ${ms(TARGETS.fullCompileMs)}`,
          verdict(compileMs, TARGETS.fullCompileMs),
        ],
        ["full compile, all runs", compileTimes.map((t) => t.toFixed(0)).join(" / "), "", "", ""],
        ...cnpRows,
      ],
    ),
  );
  printEntriesPerNode(cluster, engine);
  const scenarios = changeScenarios(cluster, opts.changes);
  if (opts.cnps > 0) scenarios.push(...clusterScenarios(cnps, opts.changes, opts.seed + 8));
  const latency = await measureChanges(engine, scenarios, cluster.nodes.length);
  printChangeLatency(latency, cloneMs);
  printMemory(memBefore, memInput, memEngine, peakAfterCompile);
  if (opts.scale !== 1)
    console.log("\nTargets are stated for --scale 1; at other scales they are for reference only.");
}

function printCluster(cluster: Cluster, engine: PolicyEngine, opts: Options, inputHash: string): void {
  const p = cluster.params;
  console.log(`# Control-plane compile benchmark (scale ${opts.scale}, seed ${opts.seed})`);
  console.log(`node ${process.version}, ${process.platform}/${process.arch}, ${availableParallelism()} cpus`);
  console.log(`input fingerprint ${inputHash}, api/policy sources ${sourceFingerprint()}`);
  section("Cluster");
  console.log(
    table(
      ["namespaces", "deployments", "endpoints", "nodes", "policies", "identities", "policy sets", "ipcache"],
      [
        [
          p.namespaces,
          cluster.deployments.length,
          p.endpoints,
          p.nodes,
          p.policies,
          engine.selectors.identities.size,
          engine.sets.size,
          engine.ipcache.size + engine.namespaceMap.size,
        ].map(count),
      ],
    ),
  );
}

function printEntriesPerNode(cluster: Cluster, engine: PolicyEngine): void {
  const sizes = cluster.nodes.map((node) => {
    const [t, s] = timed(() => engine.nodeState(node));
    return { ipcache: s.ipcache.length, endpoints: s.endpoints.length, policies: s.policies.length, ms: t };
  });
  const row = (name: string, values: number[]) => {
    const s = spread(values);
    return [name, count(s.min), count(s.p50), count(s.max)];
  };
  section("Entries per node (nodeState snapshot)");
  console.log(
    table(
      ["map", "min", "median", "max"],
      [
        row(
          "ipcache",
          sizes.map((s) => s.ipcache),
        ),
        row(
          "endpoints",
          sizes.map((s) => s.endpoints),
        ),
        row(
          "policies",
          sizes.map((s) => s.policies),
        ),
        row(
          "total",
          sizes.map((s) => s.ipcache + s.endpoints + s.policies),
        ),
      ],
    ),
  );
  console.log(`\nnodeState(node) snapshot time: median ${ms(median(sizes.map((s) => s.ms)))}`);
}

function printChangeLatency(results: ScenarioResult[], cloneMs: number): void {
  const rows: string[][] = [];
  const all: number[] = [];
  for (const { scenario, samples } of results) {
    const times = samples.map((x) => x.ms);
    all.push(...times);
    const s = spread(times);
    const gcShare = samples.reduce((a, x) => a + x.gcMs, 0) / times.reduce((a, b) => a + b, 0);
    const slowest = samples.reduce((a, b) => (b.ms > a.ms ? b : a));
    rows.push([
      scenario.name,
      ms(s.p50),
      ms(s.p99),
      ms(s.max),
      verdict(s.p99, TARGETS.changeP99Ms),
      `${(100 * gcShare).toFixed(0)}%`,
      spread(samples.map((x) => x.nodes)).mean.toFixed(1),
      count(spread(samples.map((x) => x.entries)).mean),
      spread(samples.map((x) => x.setsRecomputed)).mean.toFixed(1),
      `${slowest.label} (${slowest.setsRecomputed} sets, gc ${ms(slowest.gcMs)})`,
    ]);
  }
  const s = spread(all);
  rows.push(["all kinds", ms(s.p50), ms(s.p99), ms(s.max), verdict(s.p99, TARGETS.changeP99Ms)]);
  const n = results[0]?.samples.length ?? 0;
  section(
    `Change -> per-node deltas (${n} single-change applies per kind, target p99 <= ${ms(TARGETS.changeP99Ms)})`,
  );
  console.log(
    table(
      ["change", "p50", "p99", "max", "p99 target", "gc", "nodes", "entries", "sets", "slowest change"],
      rows.map((r) => [...r, ...new Array<string>(10 - r.length).fill("")]),
    ),
  );
  console.log(
    [
      "",
      `all kinds p99 = ${(s.p99 / cloneMs).toFixed(2)} x clone.`,
      "gc = share of the time spent in GC pauses; nodes/entries/sets = mean per change of nodes with a",
      "delta, entries in the deltas (the shared ipcache part counted once per node), policy sets recomputed.",
    ].join("\n"),
  );
  for (const { scenario } of results) console.log(`- ${scenario.name}: ${scenario.description}`);
}

function printMemory(
  before: MemoryReading,
  input: MemoryReading,
  engine: MemoryReading,
  peakAfterCompile: number,
): void {
  section("Memory");
  const note = engine.collected ? "after a forced full GC" : "no --expose-gc: heap figures include garbage";
  console.log(
    table(
      ["reading", "heapUsed", "rss"],
      [
        ["process start", mib(before.heapUsedMiB), mib(before.rssMiB)],
        ["generated input", mib(input.heapUsedMiB), mib(input.rssMiB)],
        ["input + compiled engine", mib(engine.heapUsedMiB), mib(engine.rssMiB)],
        ["engine alone (difference)", mib(engine.heapUsedMiB - input.heapUsedMiB), ""],
        ["peak rss, through the full compiles", "", mib(peakAfterCompile)],
        ["peak rss, whole run (incl. change scenarios)", "", mib(peakRssMiB())],
      ],
    ),
  );
  console.log(`\n(${note})`);
}

/** A short hash of the generated input, so two runs can show they measured the same cluster. */
function fingerprint(input: unknown): string {
  return createHash("sha256").update(JSON.stringify(input)).digest("hex").slice(0, 12);
}

/** A short hash of the policy core's sources (tests excluded), so figures name the code they timed. */
function sourceFingerprint(): string {
  const root = fileURLToPath(new URL("../../api/policy/", import.meta.url));
  const files = readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    .sort();
  const hash = createHash("sha256");
  for (const f of files) hash.update(f).update(readFileSync(join(root, f)));
  return hash.digest("hex").slice(0, 12);
}

function repeat(n: number, fn: () => number): number[] {
  return Array.from({ length: n }, fn);
}

await main();
