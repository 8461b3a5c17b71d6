// Measures the deny-all window of CNI pods (docs/cni.md): from the agent answering ADD (the pod is
// enforced, deny-all both ways, since its labels are not known yet) to the agent writing the
// labels the runtime gave it (which lifts the deny-all), for pods containerd starts through CRI
// as the kubelet does, and for podman containers. Pods stay up while measured, then are removed.
// Usage: node --import tsx bench/cni/label-window.ts [--pods 20]
import { parseArgs } from "node:util";
import { type Containerd, startContainerd } from "../../test/cni/harness/containerd.ts";
import { eventually } from "../../test/cni/harness/eventually.ts";
import { type Podman, startPodman } from "../../test/cni/harness/podman.ts";
import { createRunDirs } from "../../test/cni/harness/run-dirs.ts";
import { cniSkipReason } from "../../test/cni/harness/skip.ts";
import { type CniStack, startCniStack } from "../../test/cni/harness/stack.ts";
import { ms, table } from "../control-plane/report.ts";
import { percentile } from "../control-plane/stats.ts";

type Runtime = "containerd" | "podman";

/** Window per container: the ADD answer's log time to the labels' log time (the agent's clock). */
function windows(stack: CniStack, ids: string[]): number[] {
  const at = (msg: string, id: string) => {
    const line = stack.agent().lines.find((l) => l.msg === msg && l.containerId === id.slice(0, 12));
    return line && (msg !== "cni" || line.command === "ADD") ? Date.parse(String(line.time)) : undefined;
  };
  return ids.map((id) => at("cni labels written", id)! - at("cni", id)!);
}

async function measure(runtime: Runtime, pods: number): Promise<number[]> {
  const dirs = createRunDirs(runtime === "containerd" ? "w" : "v");
  let ctd: Containerd | undefined;
  let podman: Podman | undefined;
  const stack = await startCniStack(dirs, {
    ...(runtime === "containerd" ? { criSocket: () => ctd!.socket } : { podman: () => podman!.command }),
  });
  try {
    if (runtime === "containerd") ctd = await startContainerd(dirs);
    else podman = await startPodman(dirs);
    await stack.startAgent();
    const ids: string[] = [];
    for (let i = 0; i < pods; i++) {
      const name = `window-${i}`;
      if (ctd) ids.push((await ctd.cri.runPod({ namespace: "bench", name, labels: { app: "w" } })).id);
      else ids.push((await podman!.run({ name, network: stack.net.name, labels: { app: "w" } })).id);
      process.stderr.write(`\r${runtime}: ${i + 1}/${pods} pods`);
    }
    process.stderr.write("\n");
    await eventually(
      "every pod's labels",
      async () => ((await stack.endpoints()).every((e) => !e.labelsPending) ? true : undefined),
      60_000,
    );
    return windows(stack, ids);
  } finally {
    await ctd?.stop();
    await podman?.stop();
    await stack.teardown();
    dirs.remove();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { pods: { type: "string", default: "20" } } });
  const pods = Number(values.pods);
  if (!Number.isInteger(pods) || pods < 1) throw new RangeError(`--pods must be a positive integer`);
  const rows: (string | number)[][] = [];
  for (const runtime of ["containerd", "podman"] as const) {
    const skip = cniSkipReason(runtime);
    if (skip) {
      rows.push([runtime, 0, "skipped", skip, "", ""]);
      continue;
    }
    const w = await measure(runtime, pods);
    rows.push([
      runtime,
      w.length,
      ms(percentile(w, 0.5)),
      ms(percentile(w, 0.99)),
      ms(Math.max(...w)),
      ms(Math.min(...w)),
    ]);
  }
  console.log("deny-all window: ADD answered -> labels written (ms)");
  console.log(table(["runtime", "pods", "p50", "p99", "max", "min"], rows));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
