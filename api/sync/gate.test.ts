// The sync hub never reads a half-applied write: while a sliced write is paused (the store's gate),
// an agent's messages wait, in order, and are answered once it has settled.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ScriptedAgent, startPlane, type TestPlane } from "./testing.ts";

describe("sync hub and sliced writes", () => {
  let plane: TestPlane;
  before(async () => {
    plane = await startPlane();
    await plane.api("PUT", "/v1/namespaces/x", { labels: {} });
  });
  after(() => plane.close());

  it("answers a hello sent during a paused write only once the write has settled", async () => {
    const credential = await plane.enroll("gate-n1");
    const agent = await ScriptedAgent.connect(plane.server.url, credential);
    const { gate } = plane.server.deps.store;
    gate.pause();
    try {
      agent.hello("gate-n1", null);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(
        agent.messages.map((m) => m.type),
        [],
        "nothing is answered while the write is paused",
      );
    } finally {
      gate.resume();
    }
    await agent.next("welcome");
    const snap = await agent.next("snapshot");
    assert.equal(snap.revision, plane.server.deps.store.revision());
    agent.close();
  });

  it("holds routes that read the engine while a write is paused, and not the others", async () => {
    await plane.enroll("gate-n2");
    const { gate } = plane.server.deps.store;
    gate.pause();
    let answered = false;
    const node = plane.api("GET", "/v1/nodes/gate-n2").then((r) => {
      answered = true;
      return r;
    });
    try {
      // Rows need no wait: SQLite holds the last committed state during a pause.
      assert.equal((await plane.api("GET", "/v1/namespaces/x")).status, 200);
      assert.equal((await plane.api("GET", "/healthz")).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(answered, false, "the node's status (its endpoint count) waits");
    } finally {
      gate.resume();
    }
    assert.equal((await node).status, 200);
  });
});

describe("fan-out in slices", () => {
  let plane: TestPlane;
  before(async () => {
    // Every stream in its own turn of the event loop.
    plane = await startPlane({ fanoutSliceMs: 0 });
    await plane.api("PUT", "/v1/namespaces/f", { labels: {} });
  });
  after(() => plane.close());

  it("gives every stream every revision in order, with commits made while a fan-out is spread over turns", async () => {
    const agents: ScriptedAgent[] = [];
    for (let i = 0; i < 12; i++) {
      const node = `slice-n${i}`;
      await plane.api("PUT", `/v1/namespaces/f/endpoints/ep-${i}`, {
        labels: { app: "web" },
        node,
        interface: "veth0",
        ips: [`10.30.0.${i + 1}`],
        ports: [],
      });
      const agent = await ScriptedAgent.connect(plane.server.url, await plane.enroll(node));
      agent.hello(node, null);
      agents.push(agent);
    }
    const held = await Promise.all(agents.map(async (a) => (await a.next("snapshot")).revision));
    const writes = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        plane.api("PUT", `/v1/namespaces/f/networkpolicies/p${n}`, {
          spec: { podSelector: {}, ingress: [{ ports: [{ protocol: "TCP", port: 8000 + n }] }] },
        }),
      ),
    );
    const last = Math.max(...writes.map((w) => w.body.revision as number));
    for (const [i, agent] of agents.entries()) {
      let at = held[i]!;
      while (at < last) {
        const d = await agent.next("delta");
        assert.equal(d.fromRevision, at, `stream ${i}: a delta from ${d.fromRevision}, holding ${at}`);
        at = d.toRevision;
      }
      agent.close();
    }
  });
});

describe("heartbeats and sliced writes", () => {
  let plane: TestPlane;
  before(async () => {
    plane = await startPlane({ heartbeatSeconds: 1 });
  });
  after(() => plane.close());

  it("keeps a stream whose heartbeat answers wait at the gate through a pause longer than three heartbeats", async () => {
    const credential = await plane.enroll("gate-hb");
    const agent = await ScriptedAgent.connect(plane.server.url, credential);
    agent.ws.on("message", (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.type === "heartbeat") agent.send({ type: "heartbeat_ack", seq: msg.seq });
    });
    agent.hello("gate-hb", null);
    await agent.next("snapshot");
    const { gate } = plane.server.deps.store;
    gate.pause();
    try {
      await new Promise((resolve) => setTimeout(resolve, 4_500));
    } finally {
      gate.resume();
    }
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(agent.closed, null, `the stream was closed: ${JSON.stringify(agent.closed)}`);
    agent.close();
  });
});
