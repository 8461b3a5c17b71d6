// The agent's CNI side end to end with a real control plane, the real socket and the memory
// datapath: ADD answers once enforced (deny-all until labels come), labels lift it, DEL, CHECK,
// faults and collection of pods that went away.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startPlane, type TestPlane } from "../../api/sync/testing.ts";
import { VirtualInterfaces } from "../datapath/interfaces.ts";
import { type RunningAgent, runAgent } from "../main.ts";
import type { Description } from "./labels.ts";
import { bridgeResult, callSocket, cniRequest } from "./testing.ts";

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 5000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("agent CNI socket", () => {
  let plane: TestPlane;
  let agent: RunningAgent;
  let dir: string;
  let socket: string;
  const ifaces = new VirtualInterfaces({ autoCreate: false });
  const netnsPaths = new Set<string>();
  const described = new Map<string, Description>();

  before(async () => {
    plane = await startPlane();
    dir = mkdtempSync(join(tmpdir(), "palisade-cni-"));
    socket = join(dir, "cni.sock");
    const token = await plane.api("POST", "/v1/enrollment-tokens", {});
    agent = await runAgent({
      server: plane.server.url,
      node: "n1",
      enrollToken: token.body.token,
      stateDir: join(dir, "state"),
      bpffs: `cni-test-${process.pid}`,
      metricsListen: "127.0.0.1:0",
      datapath: "memory",
      log: () => {},
      tuning: { interfaces: ifaces },
      cni: {
        socket,
        collectEveryMs: 100,
        host: {
          isBridge: (n) => n.startsWith("br"),
          interfaceExists: (n) => ifaces.ifindex(n) !== undefined,
          pathExists: (p) => netnsPaths.has(p),
        },
        runtimes: { podman: { describe: async (id) => described.get(id) ?? null } },
      },
    });
  });
  after(async () => {
    await agent?.stop();
    await plane?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const pod = (name: string, ip: string) => {
    ifaces.add(`veth-${name}`);
    netnsPaths.add(`/run/netns/${name}`);
    return bridgeResult({ bridge: "br-test", hostVeth: `veth-${name}`, ip, netns: `/run/netns/${name}` });
  };
  const get = async (ns: string, name: string) =>
    (await plane.api("GET", `/v1/namespaces/${ns}/endpoints/${name}`)).body;

  it("ADD answers the prevResult once the pod is enforced deny-all, then its labels lift it", async () => {
    const prevResult = pod("web", "198.18.7.2");
    const answer = await callSocket(
      socket,
      cniRequest({
        containerId: "c-web",
        netns: "/run/netns/web",
        args: "K8S_POD_NAME=web",
        prevResult,
        namespace: "shop",
      }),
    );
    assert.equal(answer.exitCode, 0, answer.stdout);
    assert.deepEqual(JSON.parse(answer.stdout), prevResult);
    // Enforced at once: the interface carries its entry, isolated both ways.
    const entry = (await agent.datapath.read()).endpoints.find((e) => e.interface === "veth-web");
    assert.deepEqual([entry?.ingressIsolated, entry?.egressIsolated, entry?.policySetId], [true, true, 0]);
    const ep = await get("shop", "web");
    assert.equal(ep.labelsPending, true);
    assert.deepEqual(ep.workload, { runtime: "podman", containerId: "c-web", netns: "/run/netns/web" });
    assert.equal(ep.managedBy, "node/n1");

    described.set("c-web", { state: "running", labels: { app: "web" } });
    await waitFor("labels", async () =>
      (await get("shop", "web")).labels?.app === "web" ? true : undefined,
    );
    assert.equal((await get("shop", "web")).labelsPending, undefined);
  });

  it("moves a podman container to the namespace its label names, in one revision", async () => {
    described.set("c-api", { state: "running", labels: { app: "api", "palisade.dev/namespace": "team" } });
    const answer = await callSocket(
      socket,
      cniRequest({
        containerId: "c-api",
        netns: "/run/netns/api",
        args: "K8S_POD_NAME=API_1",
        prevResult: pod("api", "198.18.7.3"),
      }),
    );
    assert.equal(answer.exitCode, 0, answer.stdout);
    const list = await waitFor("move", async () => {
      const items = (await plane.api("GET", "/v1/nodes/n1/endpoints")).body.items as {
        namespace: string;
        name: string;
        labels: Record<string, string>;
      }[];
      const found = items.find((e) => e.labels.app === "api");
      return found?.namespace === "team" ? items : undefined;
    });
    assert.equal(list.filter((e) => e.name.startsWith("api-1-")).length, 1);
  });

  it("CHECK verifies record and attachment; DEL removes; DEL of an unknown container succeeds", async () => {
    const prevResult = pod("db", "198.18.7.4");
    assert.equal(
      (
        await callSocket(
          socket,
          cniRequest({
            containerId: "c-db",
            netns: "/run/netns/db",
            args: "K8S_POD_NAMESPACE=shop;K8S_POD_NAME=db;K8S_POD_UID=u1",
            prevResult,
          }),
        )
      ).exitCode,
      0,
    );
    assert.equal((await get("shop", "db")).workload.runtime, "cri");
    const check = await callSocket(
      socket,
      cniRequest({ command: "CHECK", containerId: "c-db", netns: "/run/netns/db", prevResult }),
    );
    assert.equal(check.exitCode, 0, check.stdout);
    const del = await callSocket(
      socket,
      cniRequest({ command: "DEL", containerId: "c-db", netns: "/run/netns/db", prevResult }),
    );
    assert.equal(del.exitCode, 0, del.stdout);
    assert.equal((await plane.api("GET", "/v1/namespaces/shop/endpoints/db")).status, 404);
    const again = await callSocket(socket, cniRequest({ command: "DEL", containerId: "c-db" }));
    assert.equal(again.exitCode, 0);
    const missing = await callSocket(
      socket,
      cniRequest({ command: "CHECK", containerId: "c-db", netns: "/run/netns/db", prevResult }),
    );
    assert.equal(missing.exitCode, 1);
    assert.equal(JSON.parse(missing.stdout).code, 101);
  });

  it("takes a CRI pod's named ports from its palisade.dev/ports annotation", async () => {
    const req = cniRequest({
      containerId: "c-pt",
      netns: "/run/netns/pt",
      args: "K8S_POD_NAMESPACE=shop;K8S_POD_NAME=pt",
      prevResult: pod("pt", "198.18.7.7"),
    });
    const config = JSON.parse(req.stdin);
    const ports = [{ name: "http", port: 8080, protocol: "TCP" }];
    config.runtimeConfig = {
      "io.kubernetes.cri.pod-annotations": { "palisade.dev/ports": JSON.stringify(ports) },
    };
    assert.equal((await callSocket(socket, { ...req, stdin: JSON.stringify(config) })).exitCode, 0);
    assert.deepEqual((await get("shop", "pt")).ports, ports);
  });

  it("answers CNI errors for a bad request: no prevResult, unsupported version, bad command", async () => {
    const noPrev = await callSocket(socket, cniRequest({ containerId: "x", netns: "/run/netns/x" }));
    assert.equal(JSON.parse(noPrev.stdout).code, 7);
    const req = cniRequest({ containerId: "x", netns: "/run/netns/x" });
    const old = await callSocket(socket, {
      ...req,
      stdin: JSON.stringify({ cniVersion: "0.2.0", name: "n" }),
    });
    assert.equal(JSON.parse(old.stdout).code, 1);
    const bad = await callSocket(socket, { ...req, env: { ...req.env, CNI_COMMAND: "ATTACH" } });
    assert.deepEqual([bad.exitCode, JSON.parse(bad.stdout).code], [1, 4]);
  });

  it("collects a pod whose interface went away without a DEL", async () => {
    assert.equal(
      (
        await callSocket(
          socket,
          cniRequest({
            containerId: "c-gone",
            netns: "/run/netns/gone",
            args: "K8S_POD_NAME=gone",
            prevResult: pod("gone", "198.18.7.5"),
          }),
        )
      ).exitCode,
      0,
    );
    ifaces.remove("veth-gone");
    await waitFor("collection", async () =>
      (await plane.api("GET", "/v1/namespaces/default/endpoints/gone")).status === 404 ? true : undefined,
    );
  });

  it("fails ADD with try-again-later when the control plane is down", async () => {
    const prevResult = pod("late", "198.18.7.6");
    const req = cniRequest({
      containerId: "c-late",
      netns: "/run/netns/late",
      args: "K8S_POD_NAME=late",
      prevResult,
    });
    await plane.server.close();
    const down = await callSocket(socket, req);
    assert.equal(down.exitCode, 1);
    assert.equal(JSON.parse(down.stdout).code, 11);
    assert.match(JSON.parse(down.stdout).msg, /not reachable/);
    // The pod can still go: DEL succeeds and leaves the record to the collector.
    const del = await callSocket(socket, cniRequest({ command: "DEL", containerId: "c-late" }));
    assert.equal(del.exitCode, 0, del.stdout);
  });
});
