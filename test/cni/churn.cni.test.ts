// Pod churn under containerd with Palisade chained: 100 pods created and deleted one after another,
// then 20 at once; afterwards no endpoint record, endpoint map entry, veth, pinned link or address
// allocation is left.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Containerd, startContainerd } from "./harness/containerd.ts";
import { bridgePorts, ipamAllocations } from "./harness/host-state.ts";
import { createRunDirs, type RunDirs } from "./harness/run-dirs.ts";
import { cniSkipReason } from "./harness/skip.ts";
import { type CniStack, startCniStack } from "./harness/stack.ts";

async function mapEntries(metricsUrl: string, map: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split("\n").find((l) => l.startsWith(`palisade_agent_map_entries{map="${map}"`));
  if (!line) throw new Error(`no map_entries for ${map} in the agent's metrics`);
  return Number(line.split(" ").pop());
}

describe("pod churn with palisade chained (containerd)", { skip: cniSkipReason("containerd") }, () => {
  let dirs: RunDirs;
  let stack: CniStack;
  let ctd: Containerd;

  before(async () => {
    dirs = createRunDirs("h");
    stack = await startCniStack(dirs, { criSocket: () => ctd.socket });
    ctd = await startContainerd(dirs);
    await stack.startAgent();
  });
  after(async () => {
    await ctd?.stop();
    await stack?.teardown();
    dirs?.remove();
  });

  async function cycle(name: string): Promise<void> {
    const pod = await ctd.cri.runPod({ namespace: "churn", name, labels: { app: "churn" } });
    await ctd.cri.stopPod(pod.id);
    await ctd.cri.removePod(pod.id);
  }

  async function assertNothingLeft(): Promise<void> {
    assert.deepEqual(await stack.endpoints(), []);
    // The agent applies the deletions asynchronously from the control plane's commits.
    await stack.api.syncWait(await stack.api.revision());
    assert.deepEqual(bridgePorts(stack.net.bridge), []);
    assert.deepEqual(ipamAllocations(dirs.ipamDir, stack.net.name), []);
    const problems = stack.agent().lines.filter((l) => l.level === "warn" || l.level === "error");
    assert.deepEqual(readdirSync(join(stack.bpffs, "links")), [], JSON.stringify(problems.slice(-8)));
    assert.equal(await mapEntries(stack.metricsUrl, "endpoints"), 0);
  }

  it("creates and deletes 100 pods one after another", async () => {
    for (let i = 0; i < 100; i++) await cycle(`seq-${i}`);
    await assertNothingLeft();
  });

  it("creates and deletes 20 pods at once", async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => cycle(`par-${i}`)));
    await assertNothingLeft();
  });
});
