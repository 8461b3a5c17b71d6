// The agent against the real control plane (api/) on 127.0.0.1: an endpoint registered through the
// REST API is enforced and reported, and a control-plane restart is survived without a snapshot.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type RunningServer, startServer } from "../api/main.ts";
import { MemoryAgentDatapath } from "./datapath/memory.ts";
import { type RunningAgent, runAgent } from "./main.ts";
import { eventually } from "./testing/agent-harness.ts";

const ADMIN = "agent-test-admin-token";

describe("agent with the real control plane", () => {
  let dir: string;
  let server: RunningServer | undefined;
  let agent: RunningAgent | undefined;
  const logs: Record<string, unknown>[] = [];
  const startPlane = (listen = "127.0.0.1:0") =>
    startServer({ listen, dbPath: join(dir, "p.db"), adminToken: ADMIN, heartbeatSeconds: 1, log: () => {} });
  const api = async (
    method: string,
    path: string,
    body?: unknown,
    // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
  ): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${server!.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "palisade-agent-cp-"));
    server = await startPlane();
  });
  after(async () => {
    await agent?.stop();
    await server?.close();
    await new MemoryAgentDatapath({ pinKey: join(dir, "bpffs") }).destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("enrolls, enforces an endpoint registered through the API, and reports the revision applied", async () => {
    const token = (await api("POST", "/v1/enrollment-tokens", { maxUses: 1 })).body.token;
    await api("PUT", "/v1/namespaces/x", { labels: {} });
    await api("PUT", "/v1/namespaces/x/endpoints/client", {
      labels: { app: "client" },
      node: "elsewhere",
      interface: "veth-client",
      ips: ["10.9.0.2"],
      ports: [],
    });
    agent = await runAgent({
      server: server!.url,
      node: "worker-1",
      enrollToken: token,
      stateDir: join(dir, "state"),
      bpffs: join(dir, "bpffs"),
      metricsListen: "127.0.0.1:0",
      datapath: "memory",
      log: (l) => logs.push(l),
      tuning: { backoff: { initialMs: 20, maxMs: 200 } },
    });
    await api("PUT", "/v1/namespaces/x/endpoints/web", {
      labels: { app: "web" },
      node: "worker-1",
      interface: "veth-web",
      ips: ["10.9.0.1"],
      ports: [],
    });
    const put = await api("PUT", "/v1/namespaces/x/networkpolicies/web", {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "web" },
      spec: {
        podSelector: { matchLabels: { app: "web" } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "client" } } }], ports: [{ port: 80 }] }],
      },
    });
    const wait = await api(
      "GET",
      `/v1/sync/wait?revision=${put.body.revision}&node=worker-1&timeoutSeconds=5`,
    );
    assert.equal(wait.status, 200);
    const s = await agent.datapath.read();
    const web = s.endpoints.find((e) => e.interface === "veth-web");
    assert.equal(web?.ingressIsolated, true);
    assert.deepEqual(s.attached, ["veth-web"]);
    const client = s.ipcache.find((e) => e.prefix === "10.9.0.2/32");
    assert.ok(client, "the peer's address is in the ipcache");
    assert.ok(
      s.policies.some(
        (p) => p.policySetId === web!.policySetId && p.remoteIdentity === client.identity && p.port === 80,
      ),
      "an allow entry for the client on port 80",
    );
    await eventually(async () => {
      const node = (await api("GET", "/v1/nodes/worker-1")).body;
      return (
        node.connected === true && node.appliedRevision === put.body.revision && node.endpointsAttached === 1
      );
    }, "node status with the applied revision and the attached endpoint");
    assert.equal(agent.state(), "ready");
  });

  it("keeps enforcing while the control plane is down and resumes with deltas when it is back", async () => {
    const before = JSON.stringify(await agent!.datapath.read());
    const url = new URL(server!.url);
    await server!.close();
    server = undefined;
    await eventually(() => agent!.state() === "degraded", "degraded");
    assert.equal(JSON.stringify(await agent!.datapath.read()), before, "nothing flushed");
    const applied = logs.filter((l) => l.msg === "applied revision").length;
    server = await startPlane(`127.0.0.1:${url.port}`);
    await eventually(() => agent!.state() === "ready", "ready again", 5000);
    const put = await api("PUT", "/v1/namespaces/x/endpoints/web2", {
      labels: { app: "web" },
      node: "worker-1",
      interface: "veth-web2",
      ips: ["10.9.0.3"],
      ports: [],
    });
    const wait = await api(
      "GET",
      `/v1/sync/wait?revision=${put.body.revision}&node=worker-1&timeoutSeconds=5`,
    );
    assert.equal(wait.status, 200);
    assert.deepEqual((await agent!.datapath.read()).attached.sort(), ["veth-web", "veth-web2"]);
    const kinds = logs
      .filter((l) => l.msg === "applied revision")
      .slice(applied)
      .map((l) => l.kind);
    assert.deepEqual(kinds, ["delta"], "no snapshot after the restart");
  });
});
