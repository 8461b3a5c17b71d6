// What one node credential can make the control plane do: answers only for revisions its stream
// was sent, node events coalesced per node, and a re-enrolled node's old stream closed at once.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CLOSE } from "../../wire/sync.ts";
import { TestReceiver } from "../webhooks/testing.ts";
import { ScriptedAgent, startPlane, type TestPlane } from "./testing.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("sync stream abuse", () => {
  let plane: TestPlane;
  let receiver: TestReceiver;
  const events = (node: string) =>
    receiver.received.map((r) => JSON.parse(r.body)).filter((e) => e.data?.node === node);

  before(async () => {
    receiver = await TestReceiver.start();
    plane = await startPlane({
      heartbeatSeconds: 1,
      webhookAllowNetworks: ["127.0.0.0/8"],
      nodeEvents: { burst: 4, perMinute: 60 },
    });
    await plane.api("PUT", "/v1/namespaces/x", { labels: {} });
    const sub = await plane.api("POST", "/v1/webhooks", {
      url: receiver.url,
      events: ["node.connected", "node.disconnected", "node.nack"],
    });
    assert.equal(sub.status, 201);
  });
  after(async () => {
    await plane.close();
    await receiver.close();
  });

  it("a nack for a revision the stream was never sent closes it with 4001 and records nothing", async () => {
    const agent = await ScriptedAgent.connect(plane.server.url, await plane.enroll("liar"));
    agent.hello("liar", null);
    const snap = await agent.next("snapshot");
    agent.send({ type: "nack", revision: snap.revision + 7, error: { code: "X", message: "made up" } });
    const closed = await agent.waitClosed();
    assert.equal(closed.code, CLOSE.PROTOCOL);
    assert.match(closed.reason, /nack for revision \d+, which this stream was not sent or answered already/);
    assert.equal((await plane.api("GET", "/v1/nodes/liar")).body.lastError, null);
    const deadline = Date.now() + 5000;
    while (!events("liar").some((e) => e.type === "node.disconnected") && Date.now() < deadline)
      await sleep(20);
    await sleep(100);
    assert.deepEqual(
      events("liar").map((e) => e.type),
      ["node.connected", "node.disconnected"],
    );
  });

  it("a revision is answered once: a second nack of it closes the stream with 4001", async () => {
    const agent = await ScriptedAgent.connect(plane.server.url, await plane.enroll("repeater"));
    agent.hello("repeater", null);
    const snap = await agent.next("snapshot");
    const nack = { type: "nack", revision: snap.revision, error: { code: "X", message: "refused" } };
    agent.send(nack);
    agent.send(nack);
    assert.equal((await agent.waitClosed()).code, CLOSE.PROTOCOL);
    assert.match((await plane.api("GET", "/v1/nodes/repeater")).body.lastError, /X: refused/);
  });

  it("an ack of a revision between two that were sent, or above them, closes the stream with 4001", async () => {
    const credential = await plane.enroll("skipper");
    const first = await ScriptedAgent.connect(plane.server.url, credential);
    first.hello("skipper", null);
    const snap = await first.next("snapshot");
    first.send({ type: "ack", revision: snap.revision });
    first.close();
    await first.waitClosed();
    await plane.api("PUT", "/v1/namespaces/x", { labels: { a: "1" } });
    await plane.api("PUT", "/v1/namespaces/x", { labels: { a: "2" } });
    const second = await ScriptedAgent.connect(plane.server.url, credential);
    second.hello("skipper", snap.revision);
    const delta = await second.next("delta");
    assert.equal(delta.toRevision, snap.revision + 2, "the two revisions merged into one delta");
    second.send({ type: "ack", revision: snap.revision + 1 });
    assert.equal((await second.waitClosed()).code, CLOSE.PROTOCOL);
    assert.equal((await plane.api("GET", "/v1/nodes/skipper")).body.appliedRevision, snap.revision);
  });

  it("a reconnect and nack storm from one node is coalesced, counted, and ends on its last event", async () => {
    const credential = await plane.enroll("stormy");
    const started = Date.now();
    for (let i = 0; i < 30; i++) {
      const agent = await ScriptedAgent.connect(plane.server.url, credential);
      agent.hello("stormy", null);
      const snap = await agent.next("snapshot");
      agent.send({ type: "nack", revision: snap.revision, error: { code: "X", message: `storm ${i}` } });
      agent.close();
      await agent.waitClosed();
    }
    // The last (disconnection) event held back goes out once the bucket refills (about 1 s).
    const deadline = Date.now() + 8000;
    const connection = () =>
      events("stormy").filter((e) => e.type === "node.connected" || e.type === "node.disconnected");
    while (connection().at(-1)?.type !== "node.disconnected" || !connection().at(-1)?.data.suppressed) {
      if (Date.now() > deadline)
        throw new Error(`no coalesced disconnection: ${connection().map((e) => e.type)}`);
      await sleep(50);
    }
    const all = events("stormy");
    // Per kind: the burst of 4, one a second since, and the held one delivered at the end.
    const bound = 2 * (4 + Math.ceil((Date.now() - started) / 1000) + 1);
    assert.ok(all.length <= bound, `${all.length} events for 90 caused (at most ${bound})`);
    const suppressed = all.reduce((n, e) => n + (e.data.suppressed ?? 0), 0);
    assert.ok(suppressed + all.length <= 90, "no event counted twice");
    assert.ok(suppressed >= 30, `${suppressed} suppressed`);
    const metrics = (await plane.api("GET", "/metrics")).body as string;
    for (const type of ["node.connected", "node.disconnected", "node.nack"]) {
      const m = new RegExp(`palisade_sync_events_dropped_total\\{type="${type}"\\} (\\d+)`).exec(metrics);
      assert.ok(m && Number(m[1]) > 0, `${type} drops counted`);
    }
    assert.match(
      (await plane.api("GET", "/v1/nodes/stormy")).body.lastError,
      /storm 29/,
      "status stays exact",
    );
  });

  it("re-enrolling a node closes its old stream at once, before the new agent connects", async () => {
    const old = await ScriptedAgent.connect(plane.server.url, await plane.enroll("moved"));
    old.hello("moved", null);
    await old.next("snapshot");
    const t = await plane.api("POST", "/v1/enrollment-tokens", { allowReenroll: true });
    const re = await plane.api("POST", "/v1/enroll", { token: t.body.token, node: "moved" });
    assert.equal(re.status, 200);
    const closed = await old.waitClosed(2000);
    assert.equal(closed.code, CLOSE.REVOKED);
    await plane.api("PUT", "/v1/namespaces/x", { labels: { after: "re-enroll" } });
    await sleep(100);
    assert.equal(old.messages.filter((m) => m.type === "delta").length, 0);
  });
});
