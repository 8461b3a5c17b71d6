// Palisade as a chained CNI plugin under containerd, driven through CRI as the kubelet does: pods
// get enforced policy with no REST call per pod, DEL removes their endpoints, ADD fails while the
// agent is away and succeeds on the retry, a restart keeps enforcing, a killed pod is collected.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Containerd, startContainerd } from "./harness/containerd.ts";
import { eventually } from "./harness/eventually.ts";
import { startTcpServer, tcpProbe } from "./harness/netns.ts";
import { createRunDirs, type RunDirs } from "./harness/run-dirs.ts";
import { cniSkipReason } from "./harness/skip.ts";
import { type CniStack, startCniStack } from "./harness/stack.ts";

const PORT = 8080;

describe("palisade CNI under containerd (CRI)", { skip: cniSkipReason("containerd") }, () => {
  let dirs: RunDirs;
  let stack: CniStack;
  let ctd: Containerd;
  const pods = new Map<string, { id: string; ip: string; netns: string; stopServer: () => void }>();

  const run = async (namespace: string, name: string, labels: Record<string, string>) => {
    const pod = await ctd.cri.runPod({ namespace, name, labels });
    const server = await startTcpServer(pod.netns, PORT, name);
    pods.set(`${namespace}/${name}`, { ...pod, stopServer: server.stop });
    return pod;
  };
  const probe = (from: string, to: string) => tcpProbe(pods.get(from)!.netns, pods.get(to)!.ip, PORT, 1500);

  before(async () => {
    dirs = createRunDirs("k");
    stack = await startCniStack(dirs, { criSocket: () => ctd.socket });
    ctd = await startContainerd(dirs);
    await stack.startAgent();
  });
  after(async () => {
    for (const p of pods.values()) p.stopServer();
    await ctd?.stop();
    await stack?.teardown();
    dirs?.remove();
  });

  it("enforces a policy on CRI pods with no REST call per pod", async () => {
    const ns = await stack.api.must("PUT", "/v1/namespaces/shop", { labels: { team: "shop" } });
    const policy = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "db-from-web", namespace: "shop" },
      spec: {
        podSelector: { matchLabels: { app: "db" } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }] }],
      },
    };
    await stack.api.must("PUT", "/v1/namespaces/shop/networkpolicies/db-from-web", policy);
    assert.ok(ns.revision > 0);
    await run("shop", "db", { app: "db" });
    await run("shop", "web", { app: "web" });
    await run("shop", "other", { app: "other" });
    // Labels come from the sandbox through CRI once RunPodSandbox returned.
    await eventually("labels", async () =>
      (await stack.endpoints()).every((e) => !e.labelsPending) ? true : undefined,
    );
    const db = await stack.api.must("GET", "/v1/namespaces/shop/endpoints/db");
    assert.equal(db.workload.runtime, "cri");
    assert.equal(db.workload.containerId, pods.get("shop/db")!.id);
    assert.equal(db.managedBy, `node/${stack.node}`);
    await stack.api.syncWait(await stack.api.revision());
    assert.equal(await probe("shop/web", "shop/db"), "db\n");
    assert.equal(await probe("shop/other", "shop/db"), null);
    assert.equal(await probe("shop/db", "shop/other"), "other\n");
  });

  it("removes the endpoint when the pod stops (DEL), and DEL again succeeds", async () => {
    const pod = await run("shop", "brief", { app: "brief" });
    await ctd.cri.stopPod(pod.id);
    await ctd.cri.removePod(pod.id);
    pods.get("shop/brief")!.stopServer();
    pods.delete("shop/brief");
    assert.equal((await stack.api.call("GET", "/v1/namespaces/shop/endpoints/brief")).status, 404);
  });

  it("fails ADD while the agent is away, and the retry succeeds once it is back", async () => {
    await stack.stopAgent();
    await assert.rejects(
      ctd.cri.runPod({ namespace: "shop", name: "late", labels: { app: "late" } }),
      /palisade|agent/i,
    );
    await stack.startAgent();
    await run("shop", "late", { app: "late" });
    const late = await stack.api.must("GET", "/v1/namespaces/shop/endpoints/late");
    assert.equal(late.workload.containerId, pods.get("shop/late")!.id);
  });

  it("keeps enforcing across an agent restart: a denied connection never passes", async () => {
    // Probe the denied flow without pause from before the kill until after the agent is back.
    let probing = true;
    const passed: string[] = [];
    let probes = 0;
    const loop = (async () => {
      while (probing) {
        const got = await probe("shop/other", "shop/db");
        probes++;
        if (got !== null) passed.push(got);
      }
    })();
    await stack.stopAgent("SIGKILL");
    await new Promise((r) => setTimeout(r, 2000));
    await stack.startAgent();
    await stack.api.syncWait(await stack.api.revision());
    probing = false;
    await loop;
    assert.ok(probes >= 2, `probed ${probes} times`);
    assert.deepEqual(passed, [], "no denied probe passed");
    assert.equal(await probe("shop/web", "shop/db"), "db\n");
  });

  it("collects a pod whose sandbox was killed with -9", async () => {
    const pod = await run("shop", "doomed", { app: "doomed" });
    await eventually("labels", async () =>
      (await stack.endpoints()).find((e) => e.name === "doomed" && !e.labelsPending) ? true : undefined,
    );
    const status = await ctd.cri.podStatus(pod.id);
    process.kill(status.pid, "SIGKILL");
    await eventually(
      "collection",
      async () =>
        (await stack.api.call("GET", "/v1/namespaces/shop/endpoints/doomed")).status === 404
          ? true
          : undefined,
      30_000,
    );
  });
});
