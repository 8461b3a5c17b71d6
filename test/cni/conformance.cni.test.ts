// The NetworkPolicy conformance cases of the e2e suite, on pods that real runtimes start with
// Palisade chained as their CNI plugin: every pod of containerd (through CRI) and a subset on
// podman containers, with the same expectations as the netns harness.
import { after, before, describe, it } from "node:test";
import { CASES, type CaseContext, caseContext, PORTS } from "../e2e/conformance.cases.ts";
import type { Cluster } from "../e2e/harness/cluster.ts";
import { startCniCluster } from "./harness/cni-cluster.ts";
import { type Containerd, startContainerd } from "./harness/containerd.ts";
import { type Podman, startPodman } from "./harness/podman.ts";
import { createRunDirs, type RunDirs } from "./harness/run-dirs.ts";
import { cniSkipReason } from "./harness/skip.ts";
import { type CniStack, startCniStack } from "./harness/stack.ts";

// Traffic from the node itself needs the netns harness's host prober.
const ON_PODS = CASES.filter((c) => !c.name.includes("from the node itself"));

/** One of each kind for podman: isolation, selectors, named ports, egress, ipBlock, label changes. */
const PODMAN_CASES = [
  "default-deny-ingress blocks every connection into the namespace's pods, TCP and UDP",
  "default-deny-egress blocks every connection out of the namespace's pods, TCP and UDP",
  "namespaceSelector and podSelector in one peer mean AND",
  "a port given by name resolves to the destination pod's named port",
  "an egress rule to a namespace allows connections to it and isolates the rest of the pod's egress",
  "ipBlock with except applies to pod IPs (ingress)",
  "a pod whose labels change enters and leaves a peer's podSelector while the policy stands",
  "a namespace whose labels change enters a namespaceSelector while the policy stands",
];

function suite(runtime: "containerd" | "podman", cases: typeof CASES) {
  describe(`NetworkPolicy conformance on ${runtime} pods with palisade chained`, {
    skip: cniSkipReason(runtime),
  }, () => {
    let dirs: RunDirs;
    let stack: CniStack;
    let ctd: Containerd | undefined;
    let podman: Podman | undefined;
    let cluster: Cluster | undefined;
    let ctx: CaseContext;
    before(async () => {
      dirs = createRunDirs(runtime === "containerd" ? "f" : "g");
      stack = await startCniStack(dirs, {
        ...(runtime === "containerd" ? { criSocket: () => ctd!.socket } : { podman: () => podman!.command }),
      });
      if (runtime === "containerd") ctd = await startContainerd(dirs);
      else podman = await startPodman(dirs);
      await stack.startAgent();
      cluster = await startCniCluster(
        stack,
        ctd ? { kind: "containerd", ctd } : { kind: "podman", podman: podman! },
        PORTS,
      );
      ctx = caseContext(cluster);
    });
    after(async () => {
      await cluster?.teardown();
      await ctd?.stop();
      await podman?.stop();
      await stack?.teardown();
      dirs?.remove();
    });
    for (const c of cases) {
      it(c.name, async () => {
        await cluster!.reset();
        await c.run(ctx);
      });
    }
  });
}

const onPodman = CASES.filter((c) => PODMAN_CASES.includes(c.name));
if (onPodman.length !== PODMAN_CASES.length) throw new Error("a podman case name no longer matches a case");

suite("containerd", ON_PODS);
suite("podman", onPodman);
