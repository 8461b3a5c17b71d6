// Benchmarks pod start with and without the palisade plugin (issue 9), side by side in one run:
// two containerds on their own run dirs, one whose only conflist is bridge + host-local, one whose
// only conflist chains palisade after them (a real `palisade agent --datapath bpf`). Pods are
// started in interleaved batches through CRI; RunPodSandbox is timed by the client, each plugin's
// ADD by a wrapper in the CNI bin dir (plugin-timer.ts), the agent's part by its log.
// Usage: node --import tsx bench/cni/pod-start.ts [--pods 100] [--batch 10] [--warmup 3]
import { parseArgs } from "node:util";
import { type Containerd, startContainerd } from "../../test/cni/harness/containerd.ts";
import { createTestNetwork, type TestNetwork } from "../../test/cni/harness/network.ts";
import { createRunDirs, type RunDirs } from "../../test/cni/harness/run-dirs.ts";
import { cniSkipReason } from "../../test/cni/harness/skip.ts";
import { type CniStack, PLUGIN, startCniStack } from "../../test/cni/harness/stack.ts";
import { ms } from "../control-plane/report.ts";
import { chainAdd, readExecLog, wrapPlugin, wrapperOverheadMs } from "./plugin-timer.ts";
import { addedTable, batchLine, GOAL, type PodSample, type Side, sidesTable } from "./report.ts";

const BRIDGE = "/usr/lib/cni/bridge";

interface Options {
  pods: number;
  batch: number;
  warmup: number;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      pods: { type: "string", default: "100" },
      batch: { type: "string", default: "10" },
      warmup: { type: "string", default: "3" },
    },
  });
  const int = (name: keyof Options, min: number) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min)
      throw new RangeError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(values[name])}`);
    return n;
  };
  return { pods: int("pods", 1), batch: int("batch", 1), warmup: int("warmup", 0) };
}

/** One side of the comparison: its containerd, the wrapped plugins of its chain and their log. */
interface SideRun {
  side: Side;
  dirs: RunDirs;
  ctd: Containerd;
  log: string;
  plugins: string[];
}

/** A measured pod before its plugin timings are read back. */
type Measured = Pick<PodSample, "side" | "runPodMs" | "stopPodMs"> & { id: string };

let podSeq = 0;

async function startAndStop(run: SideRun): Promise<Measured> {
  const name = `bench-${run.side}-${podSeq++}`;
  const t0 = performance.now();
  const pod = await run.ctd.cri.runPod({ namespace: "bench", name, labels: { app: "bench" } });
  const runPodMs = performance.now() - t0;
  const t1 = performance.now();
  await run.ctd.cri.stopPod(pod.id);
  const stopPodMs = performance.now() - t1;
  await run.ctd.cri.removePod(pod.id);
  return { side: run.side, id: pod.id, runPodMs, stopPodMs };
}

/** Adds the wrapper-timed ADDs and, with palisade, the agent's own ADD time from its log. */
function complete(run: SideRun, measured: Measured[], stack: CniStack): PodSample[] {
  const execs = readExecLog(run.log);
  const agentLines = run.side === "with" ? stack.agent().lines : [];
  return measured.map(({ id, ...m }) => {
    const chain = chainAdd(execs, id, run.plugins);
    const agent = agentLines.find(
      (l) => l.msg === "cni" && l.command === "ADD" && l.containerId === id.slice(0, 12),
    );
    return {
      ...m,
      chainAddMs: chain?.chainMs,
      bridgeMs: chain?.pluginMs.bridge,
      palisadeMs: chain?.pluginMs.palisade,
      agentAddMs: typeof agent?.ms === "number" ? agent.ms : undefined,
    };
  });
}

async function runBatch(run: SideRun, n: number, stack: CniStack): Promise<PodSample[]> {
  const measured: Measured[] = [];
  for (let i = 0; i < n; i++) measured.push(await startAndStop(run));
  return complete(run, measured, stack);
}

async function bench(o: Options, sides: Record<Side, SideRun>, stack: CniStack): Promise<PodSample[]> {
  console.log(`warm-up: ${o.warmup} pods per side`);
  for (const side of ["with", "without"] as const) await runBatch(sides[side], o.warmup, stack);
  const samples: PodSample[] = [];
  const done: Record<Side, number> = { with: 0, without: 0 };
  // Batches alternate sides, and the order flips every round (with, without; without, with), so
  // load from other sessions and any drift in containerd or the agent hit both sides alike.
  for (let round = 0; done.with < o.pods || done.without < o.pods; round++) {
    const order: Side[] = round % 2 === 0 ? ["with", "without"] : ["without", "with"];
    for (const side of order) {
      const n = Math.min(o.batch, o.pods - done[side]);
      if (n === 0) continue;
      const batch = await runBatch(sides[side], n, stack);
      samples.push(...batch);
      done[side] += n;
      console.log(batchLine(batch, side, done[side], o.pods));
    }
  }
  return samples;
}

async function main(): Promise<void> {
  const o = readOptions();
  const skip = cniSkipReason("containerd");
  if (skip) {
    console.error(`cannot run the CNI pod-start benchmark: ${skip}`);
    process.exitCode = 2;
    return;
  }
  const overhead = wrapperOverheadMs();
  const withDirs = createRunDirs("bp");
  const withoutDirs = createRunDirs("bb");
  let stack: CniStack | undefined;
  let plainNet: TestNetwork | undefined;
  let withCtd: Containerd | undefined;
  let withoutCtd: Containerd | undefined;
  try {
    const setup = performance.now();
    stack = await startCniStack(withDirs, { criSocket: () => withCtd!.socket });
    plainNet = createTestNetwork(withoutDirs);
    const withLog = `${withDirs.root}/plugin-execs.log`;
    const withoutLog = `${withoutDirs.root}/plugin-execs.log`;
    wrapPlugin(withDirs.binDir, "bridge", BRIDGE, withLog);
    wrapPlugin(withDirs.binDir, "palisade", PLUGIN, withLog);
    wrapPlugin(withoutDirs.binDir, "bridge", BRIDGE, withoutLog);
    withCtd = await startContainerd(withDirs);
    withoutCtd = await startContainerd(withoutDirs);
    await stack.startAgent();
    console.log(`setup: two containerds, palisade server and agent in ${ms(performance.now() - setup)}`);
    console.log(`conflist with palisade:    ${stack.net.conflistPath} (${stack.net.subnet})`);
    console.log(`conflist without palisade: ${plainNet.conflistPath} (${plainNet.subnet})`);
    const sides: Record<Side, SideRun> = {
      with: { side: "with", dirs: withDirs, ctd: withCtd, log: withLog, plugins: ["bridge", "palisade"] },
      without: { side: "without", dirs: withoutDirs, ctd: withoutCtd, log: withoutLog, plugins: ["bridge"] },
    };
    const samples = await bench(o, sides, stack);
    console.log(`\n## Pod start, ${o.pods} pods per side (batches of ${o.batch}, interleaved)\n`);
    console.log(sidesTable(samples));
    console.log(`\n## What palisade adds (goal: <= ${GOAL.p50} ms at p50, <= ${GOAL.p99} ms at p99)\n`);
    console.log(addedTable(samples));
    console.log(
      `\nEach wrapped plugin exec costs about ${ms(overhead)} more here (bash start): RunPodSandbox` +
        " includes one wrapper without palisade and two with it; the ADD rows do not.",
    );
  } finally {
    // Pods first (CNI DEL needs the agent), then the daemons, the node, the bridges, the dirs.
    await withCtd?.stop().catch((e) => console.error(`stopping containerd (with): ${e}`));
    await withoutCtd?.stop().catch((e) => console.error(`stopping containerd (without): ${e}`));
    await stack?.teardown().catch((e) => console.error(`stopping palisade: ${e}`));
    plainNet?.remove();
    withDirs.remove();
    withoutDirs.remove();
  }
}

await main();
