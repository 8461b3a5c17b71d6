// The agent against a fake control plane on 127.0.0.1: the sync protocol of wire/sync.ts end to end.

import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { ip } from "../../wire/testing.ts";
import type { RunningAgent } from "../main.ts";
import {
  type AgentFixture,
  agentFixture,
  enforced,
  eventually,
  readSorted,
  STATE_A,
} from "../testing/agent-harness.ts";
import { FakeControlPlane } from "../testing/fake-control-plane.ts";

describe("sync stream", () => {
  let cp: FakeControlPlane;
  let fx: AgentFixture;
  let agent: RunningAgent | undefined;
  before(async () => {
    cp = await FakeControlPlane.start();
  });
  after(() => cp.close());
  beforeEach(() => {
    fx = agentFixture(cp);
  });
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    fx.cleanup();
  });

  it("a snapshot and then deltas are applied in order, and each revision is acked with a status", async () => {
    agent = await fx.start({ removeOnExit: true });
    const s = await cp.nextSession();
    assert.equal(s.hello.appliedRevision, null);
    assert.equal(s.hello.protocol, 1);
    assert.deepEqual(s.hello.mapSizes, agent.datapath.sizes);
    s.snapshot(5, STATE_A);
    assert.deepEqual(await s.next("ack"), { type: "ack", revision: 5 });
    assert.deepEqual(await s.next("status"), { type: "status", endpointsAttached: 1, lastError: null });
    s.delta(5, 6, { ipcache: { upsert: [ip("10.1.0.9/32", 302)], remove: [ip("10.1.0.7/32", 300)] } });
    s.delta(6, 7, { ipcache: { upsert: [ip("10.1.0.7/32", 303)], remove: [] } });
    assert.deepEqual(await s.next("ack"), { type: "ack", revision: 6 });
    assert.deepEqual(await s.next("ack"), { type: "ack", revision: 7 });
    assert.deepEqual(
      await readSorted(agent),
      enforced({
        ...STATE_A,
        ipcache: [ip("10.1.0.7/32", 303), ip("10.1.0.8/32", 301), ip("10.1.0.9/32", 302)],
      }),
    );
    assert.equal(agent.appliedRevision(), 7);
    assert.equal(agent.state(), "ready");
  });

  it("a delta that does not start at the applied revision is not applied, and the agent says hello again from it", async () => {
    agent = await fx.start({ removeOnExit: true });
    const s = await cp.nextSession();
    s.snapshot(5, STATE_A);
    await s.next("ack");
    const again = cp.nextSession();
    s.delta(9, 10, { ipcache: { upsert: [ip("10.9.9.9/32", 999)], remove: [] } });
    const closed = await s.closed;
    assert.match(closed.reason, /resync/);
    const s2 = await again;
    assert.equal(s2.hello.appliedRevision, 5);
    assert.deepEqual(await readSorted(agent), enforced(STATE_A));
    assert.equal(s.received.filter((m) => m.type === "ack" || m.type === "nack").length, 1);
  });

  it("a revision that cannot be applied is nacked, the last good state stays, and later deltas apply on it", async () => {
    agent = await fx.start({ removeOnExit: true, tuning: { mapSizes: { ipcache: 3 } } });
    const s = await cp.nextSession();
    s.snapshot(5, STATE_A);
    await s.next("ack");
    s.delta(5, 6, { ipcache: { upsert: [ip("10.2.0.1/32", 1), ip("10.2.0.2/32", 2)], remove: [] } });
    const nack = await s.next("nack");
    assert.equal(nack.revision, 6);
    assert.equal(nack.error.code, "datapath.map_full");
    assert.deepEqual(await readSorted(agent), enforced(STATE_A));
    assert.equal(agent.state(), "degraded");
    s.delta(5, 6, {
      ipcache: { upsert: [{ prefix: "not-a-prefix", identity: 1, prefixIdentity: 0 }], remove: [] },
    });
    assert.equal((await s.next("nack")).error.code, "agent.invalid_entry");
    s.delta(5, 6, { ipcache: { upsert: [ip("10.2.0.1/32", 1)], remove: [] } });
    assert.deepEqual(await s.next("ack"), { type: "ack", revision: 6 });
    assert.equal(agent.state(), "ready");
    assert.equal((await readSorted(agent)).ipcache.length, 3);
  });

  it("every heartbeat is answered with its sequence number", async () => {
    agent = await fx.start({ removeOnExit: true });
    const s = await cp.nextSession();
    s.send({ type: "heartbeat", seq: 1, revision: 0 });
    s.send({ type: "heartbeat", seq: 2, revision: 0 });
    assert.deepEqual(await s.next("heartbeat_ack"), { type: "heartbeat_ack", seq: 1 });
    assert.deepEqual(await s.next("heartbeat_ack"), { type: "heartbeat_ack", seq: 2 });
  });

  it("when the server closes the stream the agent reconnects with growing backoff and resumes from its applied revision", async () => {
    agent = await fx.start({ removeOnExit: true });
    const s = await cp.nextSession();
    s.snapshot(3, STATE_A);
    await s.next("ack");
    let next = cp.nextSession();
    s.close(1001, "server restarting");
    const s2 = await next;
    assert.equal(s2.hello.appliedRevision, 3);
    next = cp.nextSession();
    s2.close(1001, "server restarting");
    const s3 = await next;
    assert.equal(s3.hello.appliedRevision, 3);
    const delays = fx.logs
      .filter((l) => l.msg === "sync stream closed; reconnecting")
      .map((l) => l.retryInMs);
    assert.deepEqual(delays, [20, 40], "no ack or heartbeat in between, so the delay doubles");
    assert.deepEqual(await readSorted(agent), enforced(STATE_A), "enforcement never stopped");
    const metrics = await (await fetch(`${agent.metricsUrl}/metrics`)).text();
    assert.match(metrics, /^palisade_agent_reconnects_total 2$/m);
    assert.match(metrics, /^palisade_agent_applied_revision 3$/m);
  });

  it("a lost stream is retried within the short cap; a refusal (4009) backs off to the long one", async () => {
    const backoff = { initialMs: 20, maxMs: 40, refusedMaxMs: 160, jitter: 0 };
    agent = await fx.start({ removeOnExit: true, tuning: { backoff } });
    let s = await cp.nextSession();
    const closeTimes = async (code: number, times: number) => {
      for (let i = 0; i < times; i++) {
        const next = cp.nextSession();
        s.close(code, "test");
        s = await next;
      }
    };
    await closeTimes(1001, 3);
    await closeTimes(4009, 2);
    const delays = fx.logs
      .filter((l) => l.msg === "sync stream closed; reconnecting")
      .map((l) => l.retryInMs);
    // No ack or heartbeat in between: the attempt count keeps growing, each close picks its cap.
    assert.deepEqual(delays, [20, 40, 40, 160, 160]);
  });

  it("a refused credential (401) is logged and retried with backoff, and the stream resumes once it is accepted", async () => {
    agent = await fx.start({ removeOnExit: true });
    const s = await cp.nextSession();
    const saved = new Map(cp.credentials);
    cp.credentials.clear();
    s.close(4003, "revoked");
    await eventually(
      () =>
        fx.logs.filter((l) => l.msg === "the control plane refused the stream" && l.status === 401).length >=
        2,
      "two refused attempts",
    );
    const next = cp.nextSession();
    for (const [c, n] of saved) cp.credentials.set(c, n);
    assert.equal((await next).credential, s.credential);
  });

  it("the agent drops a silent stream after missed heartbeats and reconnects", async () => {
    cp.heartbeatSeconds = 0.05;
    try {
      agent = await fx.start({ removeOnExit: true, tuning: { heartbeatMisses: 2 } });
      const s = await cp.nextSession();
      const next = cp.nextSession();
      assert.ok((await next).hello);
      assert.equal(s.open, false);
    } finally {
      cp.heartbeatSeconds = 30;
    }
  });

  it("an invalid server message closes only that stream with 4001, and an oversized one with 1009", async () => {
    agent = await fx.start({ removeOnExit: true, tuning: { maxMessageBytes: 4096 } });
    const s = await cp.nextSession();
    let next = cp.nextSession();
    s.send({ type: "snapshot", revision: -1, state: {} });
    assert.equal((await s.closed).code, 4001);
    const s2 = await next;
    next = cp.nextSession();
    s2.sendRaw(JSON.stringify({ type: "heartbeat", seq: 1, revision: 0, pad: "x".repeat(5000) }));
    assert.equal((await s2.closed).code, 1009);
    await next;
    await eventually(() => agent?.state() !== "ready", "agent not claiming ready without a revision");
  });
});
