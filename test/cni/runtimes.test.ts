// Smoke test of the real-runtime harness with Debian's bridge + host-local only: pods started by
// our own containerd through CRI and by podman get an address on the test subnet, a network
// namespace without a default route, reach each other over the test bridge, and leave nothing
// behind (veth, address allocation, netns, mount) once removed.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { type Containerd, startContainerd } from "./harness/containerd.ts";
import { bridgePorts, ipamAllocations, linkExists, mountsUnder } from "./harness/host-state.ts";
import { IMAGE_REF } from "./harness/image.ts";
import { addressesIn, defaultRoutes, startTcpServer, tcpProbe } from "./harness/netns.ts";
import { createTestNetwork, type TestNetwork } from "./harness/network.ts";
import { type Podman, startPodman } from "./harness/podman.ts";
import { createRunDirs, type RunDirs } from "./harness/run-dirs.ts";
import { cniSkipReason } from "./harness/skip.ts";

const PORT = 8080;

/** True when `ip` is a host address of the /24 `subnet` (not network, gateway or broadcast). */
function inSubnet(ip: string, subnet: string): boolean {
  const net = subnet.replace(/0\/24$/, "");
  const host = Number(ip.slice(net.length));
  return ip.startsWith(net) && host > 1 && host < 255;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

describe("containerd through CRI, bridge + host-local", { skip: cniSkipReason("containerd") }, () => {
  let dirs: RunDirs;
  let net: TestNetwork;
  let ctd: Containerd;
  const specs = [
    { namespace: "x", name: "a", labels: { pod: "a" }, annotations: { "palisade.dev/test": "smoke" } },
    { namespace: "y", name: "b", labels: { pod: "b" } },
  ];
  const pods: { id: string; ip: string; netns: string; uid: string }[] = [];
  const runMs: number[] = [];

  before(async () => {
    dirs = createRunDirs("c");
    net = createTestNetwork(dirs);
    ctd = await startContainerd(dirs);
  });
  after(async () => {
    await ctd?.stop();
    net?.remove();
    dirs?.remove();
  });

  it("runs pods in two namespaces with labels, each with an address on the test subnet and a netns", async (t) => {
    for (const spec of specs) {
      const started = Date.now();
      const uid = crypto.randomUUID();
      pods.push({ ...(await ctd.cri.runPod({ ...spec, uid })), uid });
      runMs.push(Date.now() - started);
    }
    for (const [i, pod] of pods.entries()) {
      assert.ok(inSubnet(pod.ip, net.subnet), `pod ip ${pod.ip} is on ${net.subnet}`);
      assert.ok(existsSync(pod.netns), `netns ${pod.netns} exists`);
      assert.ok(pod.netns.startsWith(dirs.root), "the netns is pinned under the run's directories");
      assert.deepEqual(addressesIn(pod.netns), [`${pod.ip}/24`]);
      const status = await ctd.cri.podStatus(pod.id);
      assert.equal(status.state, "SANDBOX_READY");
      assert.equal(status.namespace, specs[i]!.namespace);
      assert.equal(status.name, specs[i]!.name);
      assert.deepEqual(status.labels, specs[i]!.labels);
    }
    assert.equal(new Set(pods.map((p) => p.ip)).size, 2, "distinct addresses");
    assert.deepEqual(
      (await ctd.cri.listPods({ pod: "a" })).map((p) => p.id),
      [pods[0]!.id],
    );
    assert.equal(bridgePorts(net.bridge).length, 2, "one veth per pod on the test bridge");
    t.diagnostic(
      `containerd start ${ctd.timings.startMs} ms, image import ${ctd.timings.importMs} ms, ` +
        `RunPodSandbox ${runMs.join(" / ")} ms`,
    );
  });

  it("pods have no default route and reach each other only over the test bridge", async () => {
    const [a, b] = pods as [(typeof pods)[0], (typeof pods)[0]];
    for (const pod of pods) assert.deepEqual(defaultRoutes(pod.netns), [], "no default route in the pod");
    const server = await startTcpServer(b.netns, PORT, "hi from b");
    try {
      assert.equal(await tcpProbe(a.netns, b.ip, PORT), "hi from b\n");
    } finally {
      server.stop();
    }
  });

  it("a container started in a pod through CRI serves the other pod", async () => {
    const [a, b] = pods as [(typeof pods)[0], (typeof pods)[0]];
    const server = ["/bin/nc", "-ll", "-p", String(PORT + 1), "-e", "/bin/echo", "hi from a container"];
    const id = await ctd.cri.runContainer(
      a.id,
      { ...specs[0]!, uid: a.uid },
      {
        name: "server",
        image: IMAGE_REF,
        command: server,
      },
    );
    let reply: string | null = null;
    for (let i = 0; i < 50 && reply === null; i++) {
      reply = await tcpProbe(b.netns, a.ip, PORT + 1, 1000);
      if (reply === null) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(reply, "hi from a container\n");
    await ctd.cri.stopContainer(id);
    await ctd.cri.removeContainer(id);
  });

  it("RunPodSandbox p50 over 5 more pods, then stop + remove deletes veths, addresses and mounts", async (t) => {
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      const uid = crypto.randomUUID();
      pods.push({
        ...(await ctd.cri.runPod({ namespace: "z", name: `p${i}`, uid, labels: { pod: `p${i}` } })),
        uid,
      });
      runMs.push(Date.now() - started);
    }
    t.diagnostic(`RunPodSandbox p50 ${median(runMs)} ms over ${runMs.length} pods (first ${runMs[0]} ms)`);
    const veths = bridgePorts(net.bridge);
    assert.equal(veths.length, pods.length);
    assert.equal(ipamAllocations(dirs.ipamDir, net.name).length, pods.length);
    for (const pod of pods) {
      await ctd.cri.stopPod(pod.id);
      await ctd.cri.removePod(pod.id);
    }
    assert.deepEqual(await ctd.cri.listPods(), []);
    assert.deepEqual(bridgePorts(net.bridge), [], "no veth left on the bridge");
    assert.deepEqual(veths.filter(linkExists), [], "the pods' host veths are deleted");
    assert.deepEqual(ipamAllocations(dirs.ipamDir, net.name), [], "host-local released every address");
    for (const pod of pods) assert.ok(!existsSync(pod.netns), `netns ${pod.netns} is gone`);
    assert.deepEqual(mountsUnder(dirs.root), [], "no netns, shm or rootfs mount left");
  });
});

describe("podman with the CNI backend, bridge + host-local", { skip: cniSkipReason("podman") }, () => {
  let dirs: RunDirs;
  let net: TestNetwork;
  let podman: Podman;
  const names = ["a", "b"];
  const containers: Awaited<ReturnType<Podman["run"]>>[] = [];

  before(async () => {
    dirs = createRunDirs("m");
    net = createTestNetwork(dirs);
    podman = await startPodman(dirs);
  });
  after(async () => {
    await podman?.stop();
    net?.remove();
    dirs?.remove();
  });

  it("runs two labelled containers, each with an address on the test subnet and a netns", async (t) => {
    const runMs: number[] = [];
    for (const name of names) {
      const started = Date.now();
      containers.push(
        await podman.run({
          name: `${dirs.prefix}-${name}`,
          network: net.name,
          labels: { pod: name, "palisade.dev/namespace": "x" },
        }),
      );
      runMs.push(Date.now() - started);
    }
    for (const [i, c] of containers.entries()) {
      assert.ok(inSubnet(c.ip, net.subnet), `container ip ${c.ip} is on ${net.subnet}`);
      assert.ok(existsSync(c.netns), `netns ${c.netns} exists`);
      assert.deepEqual(addressesIn(c.netns), [`${c.ip}/24`]);
      assert.equal(c.labels.pod, names[i]);
    }
    assert.equal(bridgePorts(net.bridge).length, 2, "one veth per container on the test bridge");
    t.diagnostic(`podman load ${podman.timings.loadMs} ms, podman run ${runMs.join(" / ")} ms`);
  });

  it("containers have no default route and reach each other over the test bridge", async () => {
    const [a, b] = containers as [(typeof containers)[0], (typeof containers)[0]];
    for (const c of containers) assert.deepEqual(defaultRoutes(c.netns), [], "no default route");
    const server = await startTcpServer(b.netns, PORT, "hi from b");
    try {
      assert.equal(await tcpProbe(a.netns, b.ip, PORT), "hi from b\n");
    } finally {
      server.stop();
    }
  });

  it("rm deletes the veths, releases the addresses and removes the netns", async () => {
    const veths = bridgePorts(net.bridge);
    for (const c of containers) await podman.rm(c.name);
    assert.deepEqual(await podman.list(), []);
    assert.deepEqual(bridgePorts(net.bridge), [], "no veth left on the bridge");
    assert.deepEqual(veths.filter(linkExists), [], "the containers' host veths are deleted");
    assert.deepEqual(ipamAllocations(dirs.ipamDir, net.name), [], "host-local released every address");
    for (const c of containers) assert.ok(!existsSync(c.netns), `netns ${c.netns} is gone`);
    // The overlay driver may keep its home directory mounted (private) until storage shuts down:
    // that is podman's storage, not a container's, and teardown unmounts it.
    const storageHome = `${dirs.root}/podman/root/overlay`;
    assert.deepEqual(
      mountsUnder(dirs.root).filter((m) => m !== storageHome),
      [],
      "no container mount left",
    );
  });
});
