// Palisade as a chained CNI plugin under podman (CNI backend): a container is placed in the
// namespace its palisade.dev/namespace label names with its --labels, deny-all until those are
// known, enforced with no REST call per container, and removed with it.
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eventually } from "./harness/eventually.ts";
import { startTcpServer, tcpProbe } from "./harness/netns.ts";
import { type Podman, startPodman } from "./harness/podman.ts";
import { createRunDirs, type RunDirs } from "./harness/run-dirs.ts";
import { cniSkipReason } from "./harness/skip.ts";
import { type CniStack, startCniStack } from "./harness/stack.ts";

const PORT = 8080;

describe("palisade CNI under podman", { skip: cniSkipReason("podman") }, () => {
  let dirs: RunDirs;
  let stack: CniStack;
  let podman: Podman;
  let hold: string;
  const ctrs = new Map<string, { ip: string; netns: string; stopServer: () => void }>();

  const run = async (name: string, labels: Record<string, string>) => {
    const c = await podman.run({ name, network: stack.net.name, labels });
    const server = await startTcpServer(c.netns, PORT, name);
    ctrs.set(name, { ip: c.ip, netns: c.netns, stopServer: server.stop });
    return c;
  };
  const probe = (from: string, to: string) => tcpProbe(ctrs.get(from)!.netns, ctrs.get(to)!.ip, PORT, 1500);

  before(async () => {
    dirs = createRunDirs("q");
    hold = join(dirs.root, "hold-labels");
    // The agent inspects containers through this wrapper: while `hold` exists podman "fails", so
    // the test controls when a container's labels become known.
    const wrapper = join(dirs.root, "podman-held.sh");
    stack = await startCniStack(dirs, { podman: () => wrapper, namespace: "apps" });
    podman = await startPodman(dirs);
    writeFileSync(
      wrapper,
      `#!/bin/sh\n[ -e ${JSON.stringify(hold)} ] && exit 1\nexec ${JSON.stringify(podman.command)} "$@"\n`,
      {
        mode: 0o755,
      },
    );
    await stack.startAgent();
  });
  after(async () => {
    for (const c of ctrs.values()) c.stopServer();
    await podman?.stop();
    await stack?.teardown();
    dirs?.remove();
  });

  it("places containers by their labels and enforces policy with no REST call per container", async () => {
    await stack.api.must("PUT", "/v1/namespaces/shop", { labels: {} });
    await stack.api.must("PUT", "/v1/namespaces/shop/networkpolicies/db-from-web", {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "db-from-web", namespace: "shop" },
      spec: {
        podSelector: { matchLabels: { app: "db" } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }] }],
      },
    });
    await run("db", { app: "db", "palisade.dev/namespace": "shop" });
    await run("web", { app: "web", "palisade.dev/namespace": "shop" });
    await run("stray", { app: "web" });
    const eps = await eventually("labels", async () => {
      const list = await stack.endpoints();
      return list.length === 3 && list.every((e) => !e.labelsPending) ? list : undefined;
    });
    assert.deepEqual(eps.map((e) => `${e.namespace}/${e.name}`).sort(), [
      "apps/stray",
      "shop/db",
      "shop/web",
    ]);
    assert.equal(eps.find((e) => e.name === "db")!.workload?.runtime, "podman");
    await stack.api.syncWait(await stack.api.revision());
    assert.equal(await probe("web", "db"), "db\n");
    // Same labels, other namespace: the policy's podSelector peer is its own namespace only.
    assert.equal(await probe("stray", "db"), null);
  });

  it("keeps a container deny-all until its labels are known", async () => {
    writeFileSync(hold, "");
    await run("newcomer", { app: "newcomer" });
    const ep = (await stack.endpoints()).find((e) => e.name === "newcomer");
    assert.equal(ep?.labelsPending, true);
    // No policy selects it, yet nothing reaches it and it reaches nothing.
    assert.equal(await probe("web", "newcomer"), null);
    assert.equal(await probe("newcomer", "stray"), null);
    rmSync(hold);
    await eventually("labels", async () =>
      (await stack.endpoints()).find((e) => e.name === "newcomer" && !e.labelsPending) ? true : undefined,
    );
    await stack.api.syncWait(await stack.api.revision());
    assert.equal(await probe("stray", "newcomer"), "newcomer\n");
    assert.equal(await probe("newcomer", "stray"), "stray\n");
  });

  it("removes the endpoint with the container", async () => {
    ctrs.get("newcomer")!.stopServer();
    ctrs.delete("newcomer");
    await podman.rm("newcomer");
    await eventually("DEL", async () =>
      (await stack.endpoints()).some((e) => e.name === "newcomer") ? undefined : true,
    );
  });
});
