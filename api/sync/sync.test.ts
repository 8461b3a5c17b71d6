import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CLOSE, MAX_AGENT_MESSAGE_BYTES } from "../../wire/sync.ts";
import { ScriptedAgent, startPlane, type TestPlane } from "./testing.ts";

const endpoint = (ip: string, iface: string, node = "n1") => ({
  labels: { app: iface },
  node,
  interface: iface,
  ips: [ip],
  ports: [],
});

describe("enrollment", () => {
  let plane: TestPlane;
  before(async () => {
    plane = await startPlane();
  });
  after(() => plane.close());

  it("refuses expired, revoked and used-up tokens with their own codes", async () => {
    const used = await plane.api("POST", "/v1/enrollment-tokens", { maxUses: 1 });
    assert.equal((await plane.api("POST", "/v1/enroll", { token: used.body.token, node: "a1" })).status, 200);
    const again = await plane.api("POST", "/v1/enroll", { token: used.body.token, node: "a2" });
    assert.equal(again.body.error.code, "enrollment.token_used_up");
    const revoked = await plane.api("POST", "/v1/enrollment-tokens", {});
    await plane.api("DELETE", `/v1/enrollment-tokens/${revoked.body.id}`);
    assert.equal(
      (await plane.api("POST", "/v1/enroll", { token: revoked.body.token, node: "a3" })).body.error.code,
      "enrollment.token_revoked",
    );
    assert.equal(
      (await plane.api("POST", "/v1/enroll", { token: "pet_000000000000_x", node: "a4" })).body.error.code,
      "enrollment.token_invalid",
    );
  });

  it("refuses to take over an enrolled node name unless the token allows re-enrollment", async () => {
    await plane.enroll("taken");
    const t = await plane.api("POST", "/v1/enrollment-tokens", {});
    assert.equal(
      (await plane.api("POST", "/v1/enroll", { token: t.body.token, node: "taken" })).body.error.code,
      "enrollment.node_exists",
    );
    const re = await plane.api("POST", "/v1/enrollment-tokens", { allowReenroll: true });
    assert.equal(
      (await plane.api("POST", "/v1/enroll", { token: re.body.token, node: "taken" })).status,
      200,
    );
  });

  it("a node credential cannot call admin routes", async () => {
    const credential = await plane.enroll("limited");
    assert.equal((await plane.api("GET", "/v1/namespaces", undefined, credential)).status, 401);
    assert.equal((await plane.api("POST", "/v1/enrollment-tokens", {}, credential)).status, 401);
  });
});

describe("agent stream", () => {
  let plane: TestPlane;
  before(async () => {
    plane = await startPlane({ heartbeatSeconds: 1 });
    await plane.api("PUT", "/v1/namespaces/x", { labels: {} });
  });
  after(() => plane.close());

  it("sends a snapshot to a new agent, then one delta per revision, and tracks acks", async () => {
    const credential = await plane.enroll("n1");
    const agent = await ScriptedAgent.connect(plane.server.url, credential);
    agent.hello("n1", null);
    const snap = await agent.next("snapshot");
    agent.send({ type: "ack", revision: snap.revision });
    const put = await plane.api("PUT", "/v1/namespaces/x/endpoints/a", endpoint("10.9.0.1", "veth-a"));
    const delta = await agent.next("delta");
    assert.deepEqual([delta.fromRevision, delta.toRevision], [snap.revision, put.body.revision]);
    assert.equal(delta.delta.endpoints.upsert[0]?.interface, "veth-a");
    agent.send({ type: "ack", revision: delta.toRevision });
    const wait = await plane.api("GET", `/v1/sync/wait?revision=${put.body.revision}&timeoutSeconds=5`);
    assert.equal(wait.status, 200);
    const metrics = (await plane.api("GET", "/metrics")).body as string;
    const sends = Number(/^palisade_sync_fanout_send_seconds_count (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(sends >= 1, "the fan-out of the revision was timed");
    const node = await plane.api("GET", "/v1/nodes/n1");
    assert.equal(node.body.connected, true);
    assert.equal(node.body.appliedRevision, put.body.revision);
    assert.equal(node.body.endpointCount, 1);
    agent.close();
  });

  it("resumes a reconnecting agent with deltas, not a snapshot, while the log holds its revision", async () => {
    const credential = await plane.enroll("n2");
    const first = await ScriptedAgent.connect(plane.server.url, credential);
    first.hello("n2", null);
    const snap = await first.next("snapshot");
    first.close();
    await first.waitClosed();
    await plane.api("PUT", "/v1/namespaces/x/endpoints/b", endpoint("10.9.0.2", "veth-b", "n2"));
    const second = await ScriptedAgent.connect(plane.server.url, credential);
    second.hello("n2", snap.revision);
    const delta = await second.next("delta");
    assert.equal(delta.fromRevision, snap.revision);
    assert.equal(delta.delta.endpoints.upsert[0]?.interface, "veth-b");
    assert.equal(second.messages.filter((m) => m.type === "snapshot").length, 0);
    second.close();
  });

  it("records a nack in node status and keeps the applied revision", async () => {
    const credential = await plane.enroll("n3");
    const agent = await ScriptedAgent.connect(plane.server.url, credential);
    agent.hello("n3", null);
    const snap = await agent.next("snapshot");
    agent.send({ type: "ack", revision: snap.revision });
    await plane.api("PUT", "/v1/namespaces/x", { labels: { touched: "yes" } });
    const delta = await agent.next("delta");
    agent.send({
      type: "nack",
      revision: delta.toRevision,
      error: { code: "ERR_BPF_MAP_FULL", message: "policy map full" },
    });
    let status: { lastError: string | null; appliedRevision: number };
    for (;;) {
      status = (await plane.api("GET", "/v1/nodes/n3")).body;
      if (status.lastError) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.match(status.lastError!, /ERR_BPF_MAP_FULL/);
    assert.equal(status.appliedRevision, snap.revision);
    const wait = await plane.api(
      "GET",
      `/v1/sync/wait?revision=${delta.toRevision}&node=n3&timeoutSeconds=0.2`,
    );
    assert.equal(wait.status, 504);
    assert.equal(wait.body.error.details.lagging[0].node, "n3");
    agent.close();
  });

  it("drops an agent that stops answering heartbeats, and keeps one that answers", async () => {
    const silent = await ScriptedAgent.connect(plane.server.url, await plane.enroll("silent"));
    silent.hello("silent", null);
    const talker = await ScriptedAgent.connect(plane.server.url, await plane.enroll("talker"));
    talker.hello("talker", null);
    talker.ws.on("message", (d) => {
      const m = JSON.parse(d.toString());
      if (m.type === "heartbeat") talker.send({ type: "heartbeat_ack", seq: m.seq });
    });
    const closed = await silent.waitClosed(10_000);
    assert.equal(closed.code, CLOSE.TIMEOUT);
    assert.equal(talker.closed, null);
    talker.close();
  });

  it("sends no heartbeat before hello, and closes a stream that never says hello as late", async () => {
    // A heartbeat before the welcome reached an agent in the same read as the upgrade answer; the
    // agent's answer then came before its hello and was refused with 4001 (seen in the 10,000-agent run).
    const mute = await ScriptedAgent.connect(plane.server.url, await plane.enroll("mute"));
    const closed = await mute.waitClosed(10_000);
    assert.equal(closed.code, CLOSE.TIMEOUT);
    assert.match(closed.reason, /no hello within/);
    assert.deepEqual(
      mute.messages.map((m) => m.type),
      [],
      "nothing is sent to a stream before its hello",
    );
  });

  it("an agent whose hello comes after a heartbeat tick gets welcome first and its heartbeats after", async () => {
    const late = await ScriptedAgent.connect(plane.server.url, await plane.enroll("late"));
    const order: string[] = [];
    late.ws.on("message", (d) => order.push(JSON.parse(d.toString()).type));
    await new Promise((r) => setTimeout(r, 1_500)); // at least one tick (1 s) before the hello
    late.hello("late", null);
    await late.next("heartbeat", 3_000);
    assert.equal(order[0], "welcome");
    assert.equal(late.closed, null);
    late.close();
  });

  it("stores a hello's agent version with the batched node status, and at once when the stream closes", async () => {
    const a = await ScriptedAgent.connect(plane.server.url, await plane.enroll("versioned"));
    a.hello("versioned", null);
    await a.next("snapshot");
    const deadline = Date.now() + 3_000;
    while ((await plane.api("GET", "/v1/nodes/versioned")).body.agentVersion !== "test") {
      assert.ok(Date.now() < deadline, "the hello's status was not written within the flush delay");
      await new Promise((r) => setTimeout(r, 100));
    }
    const b = await ScriptedAgent.connect(plane.server.url, await plane.enroll("brief"));
    b.hello("brief", null);
    await b.next("welcome");
    b.close();
    await b.waitClosed();
    await new Promise((r) => setTimeout(r, 100)); // the server's close event
    assert.equal((await plane.api("GET", "/v1/nodes/brief")).body.agentVersion, "test");
    a.close();
  });

  it("closes only the stream that sends a malformed or oversized message", async () => {
    const good = await ScriptedAgent.connect(plane.server.url, await plane.enroll("good"));
    good.hello("good", null);
    await good.next("snapshot");
    const bad = await ScriptedAgent.connect(plane.server.url, await plane.enroll("bad"));
    bad.send("{not json");
    assert.equal((await bad.waitClosed()).code, CLOSE.PROTOCOL);
    const big = await ScriptedAgent.connect(plane.server.url, await plane.enroll("big"));
    big.send("x".repeat(MAX_AGENT_MESSAGE_BYTES + 1));
    assert.equal((await big.waitClosed()).code, CLOSE.TOO_BIG);
    await plane.api("PUT", "/v1/namespaces/x", { labels: { after: "bad" } });
    assert.ok(await good.next("delta"), "the good stream still gets deltas");
    good.close();
  });

  it("refuses a stolen or revoked credential, and deleting a node closes its stream", async () => {
    await assert.rejects(
      ScriptedAgent.connect(
        plane.server.url,
        "pnc_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      ),
      /401/,
    );
    const credential = await plane.enroll("doomed");
    const agent = await ScriptedAgent.connect(plane.server.url, credential);
    agent.hello("doomed", null);
    await agent.next("snapshot");
    assert.equal((await plane.api("DELETE", "/v1/nodes/doomed")).status, 200);
    assert.equal((await agent.waitClosed()).code, CLOSE.REVOKED);
    await assert.rejects(ScriptedAgent.connect(plane.server.url, credential), /401/);
  });

  it("rotates a credential on the open stream; the old one stops working", async () => {
    const old = await plane.enroll("rotator");
    const agent = await ScriptedAgent.connect(plane.server.url, old);
    agent.hello("rotator", null);
    agent.send({ type: "rotate_credential" });
    const { credential } = await agent.next("credential");
    assert.notEqual(credential, old);
    await assert.rejects(ScriptedAgent.connect(plane.server.url, old), /401/);
    const fresh = await ScriptedAgent.connect(plane.server.url, credential);
    fresh.close();
    agent.close();
  });

  it("a hello naming another node than the credential's is refused with 4001 and connects neither", async () => {
    const credential = await plane.enroll("hello-a");
    await plane.enroll("hello-b");
    const agent = await ScriptedAgent.connect(plane.server.url, credential);
    agent.hello("hello-b", null);
    const closed = await agent.waitClosed();
    assert.equal(closed.code, CLOSE.PROTOCOL);
    assert.match(closed.reason, /credential belongs to node hello-a, hello names hello-b/);
    assert.equal(agent.messages.length, 0, "no welcome, no snapshot");
    for (const node of ["hello-a", "hello-b"]) {
      assert.equal((await plane.api("GET", `/v1/nodes/${node}`)).body.connected, false, node);
    }
  });

  it("a hello whose node is not a valid node name is refused with 4001", async () => {
    const credential = await plane.enroll("hello-c");
    for (const node of ["Hello-C", "hello_c", "", "hello-c."]) {
      const agent = await ScriptedAgent.connect(plane.server.url, credential);
      agent.hello(node, null);
      const closed = await agent.waitClosed();
      assert.equal(closed.code, CLOSE.PROTOCOL, JSON.stringify(node));
      assert.match(closed.reason, /^invalid message at node: /);
      assert.equal(agent.messages.length, 0);
    }
    const good = await ScriptedAgent.connect(plane.server.url, credential);
    good.hello("hello-c", null);
    assert.equal((await good.next("welcome")).node, "hello-c", "the credential itself still works");
    good.close();
  });
});
