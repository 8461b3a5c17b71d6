// GET /v1/sync/wait settles on every way a node's applied revision moves: an agent that comes
// back already at the revision (its hello says so, no delta follows) ends a wait at once. A
// fleet-wide wait names the disconnected nodes it could not count, and a 504 reports the last
// revision a disconnected node applied.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ScriptedAgent, startPlane, type TestPlane } from "./testing.ts";

const endpoint = (ip: string, iface: string, node: string) => ({
  labels: { app: iface },
  node,
  interface: iface,
  ips: [ip],
  ports: [],
});

/** Connects `node`, takes its snapshot and acks it; returns the agent and the revision. */
async function connected(plane: TestPlane, node: string) {
  const credential = await plane.enroll(node);
  const agent = await ScriptedAgent.connect(plane.server.url, credential);
  agent.hello(node, null);
  const snap = await agent.next("snapshot");
  agent.send({ type: "ack", revision: snap.revision });
  return { agent, credential, revision: snap.revision };
}

const settle = () => new Promise((r) => setTimeout(r, 100));

describe("sync wait", () => {
  let plane: TestPlane;
  before(async () => {
    plane = await startPlane();
    await plane.api("PUT", "/v1/namespaces/w", { labels: {} });
  });
  after(() => plane.close());

  it("ends when a reconnecting agent's hello already names the revision", async () => {
    const credential = await plane.enroll("back");
    const first = await ScriptedAgent.connect(plane.server.url, credential);
    first.hello("back", null);
    const snap = await first.next("snapshot");
    first.send({ type: "ack", revision: snap.revision });
    first.ws.close();
    await settle();
    // A wait that starts while the node is away, for the revision it already applied.
    const waiting = plane.api("GET", `/v1/sync/wait?revision=${snap.revision}&node=back&timeoutSeconds=5`);
    await settle();
    const again = await ScriptedAgent.connect(plane.server.url, credential);
    const started = Date.now();
    again.hello("back", snap.revision);
    const answer = await waiting;
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.ok(Date.now() - started < 4000, "answered on the hello, not at the timeout");
    again.ws.close();
    await settle();
  });

  it("a 504 for a disconnected node reports the last revision it applied", async () => {
    const { agent, revision } = await connected(plane, "gone");
    await settle();
    agent.ws.close();
    await settle();
    const put = await plane.api(
      "PUT",
      "/v1/namespaces/w/endpoints/g1",
      endpoint("10.7.0.1", "veth-g1", "gone"),
    );
    const answer = await plane.api(
      "GET",
      `/v1/sync/wait?revision=${put.body.revision}&node=gone&timeoutSeconds=0.2`,
    );
    assert.equal(answer.status, 504, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.error.details.lagging, [
      { node: "gone", appliedRevision: revision, connected: false },
    ]);
    await plane.api("DELETE", "/v1/namespaces/w/endpoints/g1");
  });
});

describe("fleet-wide sync wait", () => {
  let plane: TestPlane;
  before(async () => {
    plane = await startPlane();
    await plane.api("PUT", "/v1/namespaces/w", { labels: {} });
  });
  after(() => plane.close());

  it("a fleet-wide 200 names the disconnected nodes that host changed endpoints", async () => {
    const away = await connected(plane, "away");
    const here = await connected(plane, "here");
    const idle = await connected(plane, "idle");
    await settle();
    // "away" hosts an endpoint, then goes away; the next change touches its endpoints.
    const first = await plane.api(
      "PUT",
      "/v1/namespaces/w/endpoints/a1",
      endpoint("10.7.1.1", "veth-a1", "away"),
    );
    for (const a of [away.agent, here.agent, idle.agent]) {
      const d = await a.next("delta");
      a.send({ type: "ack", revision: d.toRevision });
    }
    assert.equal(
      (await plane.api("GET", `/v1/sync/wait?revision=${first.body.revision}&timeoutSeconds=5`)).status,
      200,
    );
    away.agent.ws.close();
    idle.agent.ws.close();
    await settle();
    const put = await plane.api("PUT", "/v1/namespaces/w/endpoints/a1", {
      ...endpoint("10.7.1.1", "veth-a1", "away"),
      labels: { app: "veth-a1", v: "2" },
    });
    const d = await here.agent.next("delta");
    here.agent.send({ type: "ack", revision: d.toRevision });
    const answer = await plane.api("GET", `/v1/sync/wait?revision=${put.body.revision}&timeoutSeconds=5`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.applied, true);
    // "idle" hosts nothing, so its lag changes no enforcement: only "away" is named.
    assert.deepEqual(answer.body.disconnected, [{ node: "away", appliedRevision: first.body.revision }]);
    // The documented way to wait for it too: a wait naming the node, answered once it is back.
    const waiting = plane.api(
      "GET",
      `/v1/sync/wait?revision=${put.body.revision}&node=away&timeoutSeconds=5`,
    );
    await settle();
    const back = await ScriptedAgent.connect(plane.server.url, away.credential);
    back.hello("away", first.body.revision);
    const resumed = await back.next("delta");
    assert.equal(resumed.fromRevision, first.body.revision);
    back.send({ type: "ack", revision: resumed.toRevision });
    assert.equal((await waiting).status, 200);
    back.ws.close();
    here.agent.ws.close();
    await settle();
  });
});
