// The relay end to end over real agent streams (scripted agents): names in snapshots, deltas and
// the names message; GET /v1/flows merged by time with missing nodes named; filters checked at the
// edge; follow as Server-Sent Events.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Flow } from "../../wire/flows.ts";
import { type ServerMessage, SYNC_PROTOCOL_VERSION } from "../../wire/sync.ts";
import { ScriptedAgent, startPlane, type TestPlane } from "../sync/testing.ts";

const endpoint = (ip: string, iface: string, node: string, app: string) => ({
  labels: { app },
  node,
  interface: iface,
  ips: [ip],
  ports: [],
});

const policy = {
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "allow-api" },
  spec: {
    podSelector: { matchLabels: { app: "web" } },
    policyTypes: ["Ingress"],
    ingress: [{ from: [{ podSelector: { matchLabels: { app: "api" } } }] }],
  },
};

function flow(node: string, ms: number, over: Partial<Flow> = {}): Flow {
  return {
    time: new Date(ms).toISOString(),
    node,
    endpoint: { namespace: "shop", name: "web" },
    direction: "ingress",
    verdict: "dropped",
    reason: "POLICY_DENIED",
    protocol: "TCP",
    source: { address: "10.9.0.2", port: 4000, namespace: "shop", pod: "api", labels: { app: "api" } },
    destination: { address: "10.9.0.1", port: 80, namespace: "shop", pod: "web", labels: { app: "web" } },
    policy: { kind: "DefaultDeny" },
    ...over,
  };
}

/** Connects a scripted agent that announces flows and answers queries from `flows`. */
async function flowAgent(
  plane: TestPlane,
  node: string,
  flows: Flow[] | "silent",
  applied: number | null = null,
) {
  const credential = await plane.enroll(node);
  const agent = await ScriptedAgent.connect(plane.server.url, credential);
  agent.ws.on("message", (data) => {
    const m = JSON.parse(data.toString()) as ServerMessage;
    if (m.type !== "flows_query" || flows === "silent") return;
    const hits = flows.filter((f) => m.filter.verdict === undefined || f.verdict === m.filter.verdict);
    agent.send({ type: "flows", id: m.id, flows: hits.slice(-m.limit), truncated: false });
  });
  agent.send({
    type: "hello",
    protocol: SYNC_PROTOCOL_VERSION,
    node,
    agentVersion: "test",
    appliedRevision: applied,
    features: { flows: true },
  });
  return { agent, credential };
}

describe("flows relay", () => {
  let plane: TestPlane;
  let read: string;
  before(async () => {
    plane = await startPlane();
    await plane.api("PUT", "/v1/namespaces/shop", { labels: {} });
    await plane.api(
      "PUT",
      "/v1/namespaces/shop/endpoints/web",
      endpoint("10.9.0.1", "veth-web", "n1", "web"),
    );
    read = (await plane.api("POST", "/v1/tokens", { scope: "read" })).body.token;
  });
  after(() => plane.close());

  it("agents that announce flows get the name catalog with snapshots, deltas and a hello at the current revision", async () => {
    const { agent, credential } = await flowAgent(plane, "n1", []);
    const snap = await agent.next("snapshot");
    assert.deepEqual(
      snap.names?.endpoints.map((e) => [e.namespace, e.name, e.addresses, e.labels, e.node]),
      [["shop", "web", ["10.9.0.1"], { app: "web" }, "n1"]],
    );
    agent.send({ type: "ack", revision: snap.revision });
    const put = await plane.api("PUT", "/v1/namespaces/shop/networkpolicies/allow-api", policy);
    assert.equal(put.status, 201, JSON.stringify(put.body));
    const delta = await agent.next("delta");
    assert.deepEqual(
      delta.names?.policies?.upsert.map((p) => [p.kind, p.namespace, p.name]),
      [["NetworkPolicy", "shop", "allow-api"]],
    );
    agent.send({ type: "ack", revision: delta.toRevision });
    await plane.api("DELETE", "/v1/namespaces/shop/networkpolicies/allow-api");
    const removed = await agent.next("delta");
    assert.deepEqual(removed.names?.policies?.remove, [
      { kind: "NetworkPolicy", namespace: "shop", name: "allow-api" },
    ]);
    agent.send({ type: "ack", revision: removed.toRevision });
    // Namespace labels feed identities: the namespace's endpoints are sent again with theirs.
    const before = snap.names!.endpoints[0]!.identity;
    await plane.api("PUT", "/v1/namespaces/shop", { labels: { tier: "prod" } });
    const relabeled = await agent.next("delta");
    const web = relabeled.names?.endpoints?.upsert.find((e) => e.name === "web");
    assert.ok(web && web.identity !== before, "web's new identity is in the catalog");
    agent.send({ type: "ack", revision: relabeled.toRevision });
    // Deleting a namespace forgets its endpoints' and policies' names.
    await plane.api("PUT", "/v1/namespaces/gone", { labels: {} });
    const created = await agent.next("delta");
    agent.send({ type: "ack", revision: created.toRevision });
    await plane.api("PUT", "/v1/namespaces/gone/networkpolicies/allow-api", policy);
    const added = await agent.next("delta");
    agent.send({ type: "ack", revision: added.toRevision });
    const del = await plane.api("DELETE", "/v1/namespaces/gone");
    assert.equal(del.status, 200, JSON.stringify(del.body));
    const gone = await agent.next("delta");
    assert.deepEqual(gone.names?.policies?.remove, [
      { kind: "NetworkPolicy", namespace: "gone", name: "allow-api" },
    ]);
    agent.send({ type: "ack", revision: gone.toRevision });
    agent.close();
    await agent.waitClosed();
    // A restart at the current revision gets no snapshot or delta, but the names.
    const again = await ScriptedAgent.connect(plane.server.url, credential);
    again.send({
      type: "hello",
      protocol: SYNC_PROTOCOL_VERSION,
      node: "n1",
      agentVersion: "test",
      appliedRevision: gone.toRevision,
      features: { flows: true },
    });
    const names = await again.next("names");
    assert.equal(names.revision, gone.toRevision);
    assert.equal(names.names.policies.length, 0);
    assert.ok(put.body.revision < names.revision);
    again.close();
    await again.waitClosed();
  });

  it("an agent without the feature gets no names and no queries, and is named as an error", async () => {
    const credential = await plane.enroll("old");
    const old = await ScriptedAgent.connect(plane.server.url, credential);
    old.hello("old", null);
    const snap = await old.next("snapshot");
    assert.equal(snap.names, undefined);
    const r = await plane.api("GET", "/v1/flows?node=old", undefined, read);
    assert.deepEqual(r.body, {
      flows: [],
      nodes: { answered: [], missing: [{ node: "old", reason: "error" }] },
    });
    old.close();
    await old.waitClosed();
  });

  it("merges the agents' answers by time, keeps the newest `limit`, and names nodes that time out or are away", async () => {
    const t0 = Date.UTC(2026, 11, 7, 22, 0, 0);
    const a = await flowAgent(plane, "fa", [flow("fa", t0 + 1), flow("fa", t0 + 3), flow("fb", t0 + 9)]);
    const b = await flowAgent(plane, "fb", [flow("fb", t0 + 2), flow("fb", t0 + 4, { verdict: "allowed" })]);
    const c = await flowAgent(plane, "fc", "silent");
    await Promise.all([a.agent.next("snapshot"), b.agent.next("snapshot"), c.agent.next("snapshot")]);
    await plane.enroll("fd"); // enrolled, never connected
    const started = Date.now();
    const r = await plane.api("GET", "/v1/flows?limit=3", undefined, read);
    assert.equal(r.status, 200);
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(
      r.body.flows.map((f: Flow) => [f.node, Date.parse(f.time) - t0]),
      [
        ["fb", 2],
        ["fa", 3],
        ["fb", 4],
      ],
      "newest 3, oldest first; fa's flow claiming node fb is not taken",
    );
    assert.ok(r.body.nodes.answered.includes("fa") && r.body.nodes.answered.includes("fb"));
    const missing = Object.fromEntries(
      r.body.nodes.missing.map((m: { node: string; reason: string }) => [m.node, m.reason]),
    );
    assert.equal(missing.fc, "timeout");
    assert.equal(missing.fd, "disconnected");
    const dropped = await plane.api("GET", "/v1/flows?verdict=dropped&node=fb", undefined, read);
    assert.deepEqual(
      dropped.body.flows.map((f: Flow) => Date.parse(f.time) - t0),
      [2],
    );
    for (const x of [a, b, c]) x.agent.close();
    await Promise.all([a.agent.waitClosed(), b.agent.waitClosed(), c.agent.waitClosed()]);
  });

  it("refuses bad filters with 422 flows_query.invalid naming the parameter and the value", async () => {
    for (const [query, path, value] of [
      ["limit=0", "limit", "0"],
      ["limit=10001", "limit", "10001"],
      ["since=yesterday", "since", "yesterday"],
      ["protocol=carrier-pigeon", "protocol", "carrier-pigeon"],
      ["from=web", "from", "web"],
      ["port=70000", "port", "70000"],
      ["verdict=maybe", "verdict", "maybe"],
      ["colour=red", "colour", undefined],
    ] as const) {
      const r = await plane.api("GET", `/v1/flows?${query}`, undefined, read);
      assert.equal(r.status, 422, query);
      assert.equal(r.body.error.code, "flows_query.invalid", query);
      const issue = r.body.error.issues[0];
      assert.equal(issue.path, path, query);
      if (value !== undefined) assert.equal(issue.value, value, query);
    }
  });

  it("follow=true replays, then streams flows the agents push, as text/event-stream", async () => {
    const t0 = Date.UTC(2026, 11, 7, 23, 0, 0);
    const a = await flowAgent(plane, "ff", [flow("ff", t0)]);
    await a.agent.next("snapshot");
    const ctl = new AbortController();
    const res = await fetch(`${plane.server.url}/v1/flows?follow=true&verdict=dropped`, {
      headers: { authorization: `Bearer ${read}` },
      signal: ctl.signal,
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    const follow = await a.agent.next("flows_follow");
    assert.equal(follow.on, true);
    const reader = res.body!.getReader();
    let text = "";
    const until = async (re: RegExp) => {
      const deadline = Date.now() + 5000;
      while (!re.test(text)) {
        if (Date.now() > deadline) throw new Error(`no ${re} in ${text}`);
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        text += new TextDecoder().decode(value);
      }
    };
    await until(/event: flow\ndata: .*"2026-12-07T23:00:00.000Z"/);
    a.agent.send({
      type: "flows_push",
      flows: [flow("ff", t0 + 5000, { verdict: "allowed" }), flow("ff", t0 + 6000)],
      dropped: 0,
    });
    await until(/"2026-12-07T23:00:06.000Z"/);
    assert.doesNotMatch(text, /23:00:05/, "the allowed flow does not pass verdict=dropped");
    ctl.abort();
    const off = await a.agent.next("flows_follow");
    assert.equal(off.on, false);
    a.agent.close();
    await a.agent.waitClosed();
  });
});
