// Flows end to end on the real datapath (issue 11): two agents (`palisade agent --datapath bpf`),
// pods in network namespaces. A connection that db's policy drops shows up in GET /v1/flows and in
// `palisade observe` with the policy's name; the connection client's egress policy allows shows
// up as an allowed new connection with that policy's name and rule; a follow stream (SSE) opened
// first sees a drop made after it started.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { Flow } from "../../wire/flows.ts";
import { type Cluster, startCluster } from "./harness/cluster.ts";
import { e2eSkipReason } from "./harness/skip.ts";

const BIN = join(import.meta.dirname, "..", "..", "bin", "palisade.mjs");
const ADMIN = "e2e-admin-token";
const PORT = 5432;

const dbAllowsWebOnly = {
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "db-allow-web" },
  spec: {
    podSelector: { matchLabels: { app: "db" } },
    policyTypes: ["Ingress"],
    ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }] }],
  },
};
const clientEgress = {
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "client-egress" },
  spec: {
    podSelector: { matchLabels: { app: "client" } },
    policyTypes: ["Egress"],
    egress: [
      { to: [{ podSelector: { matchLabels: { app: "web" } } }] },
      { to: [{ podSelector: { matchLabels: { app: "db" } } }], ports: [{ protocol: "TCP", port: PORT }] },
    ],
  },
};

async function flows(
  cluster: Cluster,
  query: string,
): Promise<{ flows: Flow[]; nodes: { answered: string[] } }> {
  return (await cluster.api.must("GET", `/v1/flows?${query}`)) as never;
}

async function eventually<T>(what: string, f: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("flows on the real datapath", { skip: e2eSkipReason() }, () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({
      namespaces: { shop: {} },
      pods: [
        { namespace: "shop", name: "client", labels: { app: "client" }, node: "node-a" },
        { namespace: "shop", name: "web", labels: { app: "web" }, node: "node-a" },
        { namespace: "shop", name: "db", labels: { app: "db" }, node: "node-b" },
      ],
      nodes: ["node-a", "node-b"],
      ports: [PORT],
    });
    await cluster.applyPolicy("shop", dbAllowsWebOnly);
    await cluster.applyPolicy("shop", clientEgress);
  });
  after(async () => {
    await cluster?.teardown();
  });

  it("a dropped connection shows up with the policy's name, the allowed one as a new connection with its rule", async () => {
    const client = cluster.pod("shop/client");
    const db = cluster.pod("shop/db");
    const web = cluster.pod("shop/web");
    assert.equal((await client.prober.probe("tcp", db.ip, PORT, 1000)).ok, false, "db drops client");
    assert.equal((await web.prober.probe("tcp", db.ip, PORT, 2000)).ok, true, "db admits web");
    const drop = await eventually("the drop in GET /v1/flows", async () => {
      const r = await flows(cluster, "verdict=dropped&from=shop/client&to=shop/db");
      return r.flows.at(-1);
    });
    assert.deepEqual(
      [drop.node, drop.direction, drop.reason, drop.protocol, drop.destination.port, drop.endpoint],
      ["node-b", "ingress", "POLICY_DENIED", "TCP", PORT, { namespace: "shop", name: "db" }],
    );
    assert.deepEqual(drop.policy, {
      kind: "DefaultDeny",
      isolatedBy: { kind: "NetworkPolicy", namespace: "shop", name: "db-allow-web" },
    });
    assert.deepEqual(drop.source.labels, { app: "client" });
    const allowed = await eventually("the allowed new connection", async () => {
      const r = await flows(cluster, `verdict=allowed&from=shop/client&to=shop/db&port=${PORT}`);
      return r.flows.find((f) => f.direction === "egress");
    });
    assert.deepEqual(
      [allowed.node, allowed.reason, allowed.event, allowed.policy],
      [
        "node-a",
        "POLICY",
        "new_connection",
        { kind: "NetworkPolicy", namespace: "shop", name: "client-egress", rule: 1 },
      ],
    );
    const both = await flows(cluster, "namespace=shop");
    assert.deepEqual([...both.nodes.answered].sort(), ["node-a", "node-b"]);

    // The CLI, as a separate process, shows the same drop with the policy's name.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        BIN,
        "observe",
        "--server",
        cluster.api.url,
        "--token",
        ADMIN,
        "--to",
        "shop/db",
        "--verdict",
        "dropped",
        "-o",
        "compact",
      ],
      { timeout: 20_000 },
    );
    assert.match(
      stdout,
      /shop\/client:\d+ -> shop\/db:5432 TCP DROPPED \(POLICY_DENIED\) ingress policy default deny \(shop\/db-allow-web\)/,
    );
  });

  it("a follow stream opened first sees a drop made after it started", async () => {
    const ctl = new AbortController();
    const res = await fetch(`${cluster.api.url}/v1/flows?follow=true&verdict=dropped&to=shop/db&limit=1`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      signal: ctl.signal,
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let text = "";
    const read = async (until: (t: string) => boolean) => {
      const deadline = Date.now() + 20_000;
      while (!until(text)) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`not seen in: ${text.slice(-2000)}`);
        const next = await Promise.race([
          reader.read(),
          new Promise<"late">((r) => setTimeout(() => r("late"), left).unref()),
        ]);
        if (next === "late") continue;
        if (next.done) throw new Error("stream ended");
        text += new TextDecoder().decode(next.value);
      }
    };
    // The agents start pushing when the stream starts; give their streams a moment to hear it.
    await new Promise((r) => setTimeout(r, 1000));
    // A flow's time comes from the kernel's coarse clock (one tick, up to 10 ms, behind) in whole
    // milliseconds, so the probe's drop may read a little before this instant. Flows from before
    // the stream opened are at least the second above older: half a second of slack is safe.
    const started = new Date(Date.now() - 500).toISOString();
    const client = cluster.pod("shop/client");
    await client.prober.probe("tcp", cluster.pod("shop/db").ip, PORT, 500);
    await read((t) =>
      t
        .split("\n")
        .filter((l) => l.startsWith("data: "))
        .some((l) => (JSON.parse(l.slice(6)) as Flow).time >= started),
    );
    ctl.abort();
  });
});
