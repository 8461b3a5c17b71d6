// The agent's lifecycle against a fake control plane on 127.0.0.1: enrollment, credential storage
// and rotation, restarts on pinned state, and enforcement while the control plane is away.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { sortedState } from "./datapath/datapath.case.ts";
import { VirtualInterfaces } from "./datapath/interfaces.ts";
import { MemoryAgentDatapath } from "./datapath/memory.ts";
import type { RunningAgent } from "./main.ts";
import { StateDir } from "./state-dir.ts";
import {
  type AgentFixture,
  agentFixture,
  enforced,
  eventually,
  readSorted,
  STATE_A,
} from "./testing/agent-harness.ts";
import { FakeControlPlane } from "./testing/fake-control-plane.ts";

describe("agent lifecycle", () => {
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
    await new MemoryAgentDatapath({ pinKey: fx.bpffs }).destroy();
    fx.cleanup();
  });

  it("the first start enrolls with the token and stores the credential with mode 0600", async () => {
    agent = await fx.start();
    const s = await cp.nextSession();
    const dir = new StateDir(fx.stateDir);
    const stored = dir.readCredential();
    assert.equal(stored?.credential, s.credential);
    assert.equal(statSync(dir.credentialPath).mode & 0o777, 0o600);
    assert.deepEqual(cp.enrollments.filter((e) => e.node === fx.node).length, 1);
  });

  it("an enrollment the server refuses fails the start with the server's code, without retrying", async () => {
    await assert.rejects(fx.start({ enrollToken: "wrong" }), { code: "enrollment.token_invalid" });
    await assert.rejects(fx.start({ enrollToken: undefined }), { code: "enrollment.no_token" });
  });

  it("a restart reuses the stored credential and applied revision, and keeps enforcing without a flush", async () => {
    agent = await fx.start();
    const s = await cp.nextSession();
    s.snapshot(4, STATE_A);
    await s.next("ack");
    s.delta(4, 5, {});
    await s.next("ack");
    await agent.stop();
    const applied = new StateDir(fx.stateDir).readApplied();
    assert.equal(applied?.revision, 5);
    const pinned = new MemoryAgentDatapath({ pinKey: fx.bpffs }); // like reading pinned maps with bpftool
    const kept = sortedState(await pinned.read());
    assert.deepEqual(kept, enforced(STATE_A), "stop() leaves the datapath in place");

    agent = await fx.start({ enrollToken: undefined });
    const s2 = await cp.nextSession();
    assert.equal(cp.enrollments.filter((e) => e.node === fx.node).length, 1, "no second enrollment");
    assert.equal(s2.credential, s.credential);
    assert.equal(s2.hello.appliedRevision, 5);
    assert.equal(agent.datapath.reused, true);
    assert.deepEqual(await readSorted(agent), kept);
    await eventually(() => agent?.state() === "ready", "ready at the resumed revision");
    s2.delta(5, 6, { ipcache: { upsert: [], remove: [STATE_A.ipcache[1]!] } });
    assert.deepEqual(await s2.next("ack"), { type: "ack", revision: 6 });
    assert.equal((await readSorted(agent)).ipcache.length, 1, "the delta applies on the adopted state");
  });

  it("an agent whose datapath did not survive does not claim the revision it no longer holds", async () => {
    agent = await fx.start();
    const s = await cp.nextSession();
    s.snapshot(4, STATE_A);
    await s.next("ack");
    await agent.stop();
    agent = await fx.start({ bpffs: `${fx.bpffs}-fresh`, removeOnExit: true });
    assert.equal((await cp.nextSession()).hello.appliedRevision, null);
  });

  it("removeOnExit removes the datapath on stop", async () => {
    agent = await fx.start({ removeOnExit: true });
    const s = await cp.nextSession();
    s.snapshot(1, STATE_A);
    await s.next("ack");
    await agent.stop();
    agent = undefined;
    assert.equal(new MemoryAgentDatapath({ pinKey: fx.bpffs }).reused, false);
  });

  it("the credential is rotated on schedule, stored (0600) before use, and used for the next connection", async () => {
    agent = await fx.start({ tuning: { rotateEveryMs: 50 } });
    const s = await cp.nextSession();
    await s.next("rotate_credential");
    const dir = new StateDir(fx.stateDir);
    await eventually(() => dir.readCredential()?.credential !== s.credential, "the new credential on disk");
    assert.equal(statSync(dir.credentialPath).mode & 0o777, 0o600);
    assert.equal(cp.credentials.has(s.credential), false, "the old credential no longer works");
    const next = cp.nextSession();
    s.close(1001, "bye");
    const s2 = await next;
    assert.equal(s2.credential, dir.readCredential()?.credential);
  });

  it("when the control plane goes away the agent keeps enforcing, reports degraded, and stays healthy", async () => {
    const solo = await FakeControlPlane.start();
    const f = agentFixture(solo);
    try {
      agent = await f.start();
      const s = await solo.nextSession();
      s.snapshot(2, STATE_A);
      await s.next("ack");
      assert.equal((await fetch(`${agent.metricsUrl}/readyz`)).status, 200);
      await solo.close();
      await eventually(() => agent?.state() === "degraded", "degraded");
      assert.deepEqual(await readSorted(agent), enforced(STATE_A));
      assert.equal((await fetch(`${agent.metricsUrl}/readyz`)).status, 503);
      assert.equal((await fetch(`${agent.metricsUrl}/healthz`)).status, 200);
      const metrics = await (await fetch(`${agent.metricsUrl}/metrics`)).text();
      assert.match(metrics, /^palisade_agent_sync_state\{state="degraded"\} 1$/m);
      assert.match(metrics, /^palisade_agent_map_entries\{map="ipcache"\} 2$/m);
      assert.match(metrics, /^palisade_agent_apply_duration_seconds_count\{result="ok"\} 1$/m);
    } finally {
      await agent?.stop();
      agent = undefined;
      await new MemoryAgentDatapath({ pinKey: f.bpffs }).destroy();
      f.cleanup();
    }
  });

  it("an endpoint whose interface appears later is attached then, reported in status, and remembered across a restart", async () => {
    const interfaces = new VirtualInterfaces({ autoCreate: false });
    agent = await fx.start({ tuning: { interfaces } });
    const s = await cp.nextSession();
    s.snapshot(1, STATE_A);
    await s.next("ack");
    const status = await s.next("status");
    assert.deepEqual(status, {
      type: "status",
      endpointsAttached: 0,
      lastError: "waiting for interfaces: pod-a",
    });
    assert.deepEqual(new StateDir(fx.stateDir).readApplied()?.pendingEndpoints, STATE_A.endpoints);
    await agent.stop();
    agent = await fx.start({ tuning: { interfaces } });
    await cp.nextSession();
    interfaces.add("pod-a");
    await eventually(async () => (await agent!.datapath.read()).attached.includes("pod-a"), "pod-a attached");
    assert.deepEqual((await readSorted(agent)).endpoints, STATE_A.endpoints);
  });
});

describe("agent state dir", () => {
  it("files are replaced atomically and never left world-readable", () => {
    const root = mkdtempSync(join(tmpdir(), "palisade-statedir-"));
    try {
      const dir = new StateDir(join(root, "node"));
      dir.writeCredential({ node: "n", credential: "c1", issuedAt: "2026-01-01T00:00:00Z" });
      dir.writeCredential({ node: "n", credential: "c2", issuedAt: "2026-01-02T00:00:00Z" });
      assert.equal(dir.readCredential()?.credential, "c2");
      assert.equal(statSync(dir.credentialPath).mode & 0o777, 0o600);
      assert.equal(statSync(dir.dir).mode & 0o777, 0o700);
      assert.deepEqual(readdirSync(dir.dir), ["credential.json"], "no temporary file is left behind");
      assert.match(readFileSync(dir.credentialPath, "utf8"), /\n$/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
