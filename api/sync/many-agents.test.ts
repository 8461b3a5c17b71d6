// Exercises the sync hub with hundreds of simulated agents on 127.0.0.1 against a real control plane:
// fan-out of every revision to every agent, /v1/sync/wait, a stuck reader and a silent heartbeat.
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { CLOSE, type ServerMessage } from "../../wire/sync.ts";
import { ScriptedAgent, startPlane, type TestPlane } from "./testing.ts";

const AGENTS = 300;
const NAMESPACE = "fleet";

/** A simulated agent: the scripted stream plus an automatic ack and heartbeat answer, timed. */
class FleetAgent {
  /** The revision this agent holds (from its snapshot and every delta placed on top of it). */
  held: number | null = null;
  acked = new Set<number>();
  ackedAt = new Map<number, number>();
  /** Deltas that did not start at the held revision (must stay empty). */
  gaps: string[] = [];
  /** Deltas that changed this node's policy entries (each write should). */
  policyChanges = 0;
  answerHeartbeats = true;

  constructor(
    readonly node: string,
    readonly stream: ScriptedAgent,
  ) {
    stream.ws.on("message", (data) => this.receive(JSON.parse(data.toString()) as ServerMessage));
    // The scripted helper keeps every message for `next()`; this fleet reads its own copy.
    stream.ws.on("message", () => stream.messages.splice(0));
  }

  get socket(): Socket {
    return (this.stream.ws as unknown as { _socket: Socket })._socket;
  }

  private receive(msg: ServerMessage): void {
    if (msg.type === "heartbeat") {
      if (this.answerHeartbeats) this.stream.send({ type: "heartbeat_ack", seq: msg.seq });
      return;
    }
    if (msg.type === "snapshot") {
      this.held = msg.revision;
    } else if (msg.type === "delta") {
      if (msg.fromRevision !== this.held) this.gaps.push(`${msg.fromRevision}->${msg.toRevision}`);
      this.held = msg.toRevision;
      if (msg.delta.policies.upsert.length > 0) this.policyChanges++;
    } else {
      return;
    }
    this.acked.add(this.held);
    this.ackedAt.set(this.held, performance.now());
    this.stream.send({ type: "ack", revision: this.held });
  }
}

const nodeName = (i: number) => `node-${String(i).padStart(3, "0")}`;

/** A policy every node enforces (each holds one app=web endpoint); `port` makes each write differ. */
const webPolicy = (port: number) => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "web" },
  spec: {
    podSelector: { matchLabels: { app: "web" } },
    ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ port }] }],
  },
});

async function inBatches<T>(count: number, size: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < count; start += size) {
    const batch = Array.from({ length: Math.min(size, count - start) }, (_, k) => make(start + k));
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

async function until(what: string, ms: number, done: () => boolean): Promise<void> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe(`a hub with ${AGENTS} simulated agents`, { timeout: 30_000 }, () => {
  let plane: TestPlane;
  let fleet: FleetAgent[] = [];
  let port = 8000;

  const connectedNodes = async () => {
    const nodes = await plane.api("GET", "/v1/nodes");
    return new Set<string>(
      nodes.body.items
        .filter((n: { connected: boolean }) => n.connected)
        .map((n: { name: string }) => n.name),
    );
  };

  /** Writes the policy once; resolves with its revision and when its HTTP response arrived. */
  const writePolicy = async () => {
    const res = await plane.api("PUT", `/v1/namespaces/${NAMESPACE}/networkpolicies/web`, webPolicy(++port));
    assert.ok(res.status === 200 || res.status === 201, JSON.stringify(res.body));
    return { revision: res.body.revision as number, respondedAt: performance.now() };
  };

  before(async () => {
    plane = await startPlane({ heartbeatSeconds: 1 });
    await plane.api("PUT", `/v1/namespaces/${NAMESPACE}`, { labels: {} });
    for (let i = 0; i < AGENTS; i++) {
      const res = await plane.api("PUT", `/v1/namespaces/${NAMESPACE}/endpoints/ep-${i}`, {
        labels: { app: "web" },
        node: nodeName(i),
        interface: "veth0",
        ips: [`10.20.${i >> 8}.${i & 255}`],
        ports: [],
      });
      assert.ok(res.status === 200 || res.status === 201, JSON.stringify(res.body));
    }
    const token = await plane.api("POST", "/v1/enrollment-tokens", { maxUses: AGENTS });
    fleet = await inBatches(AGENTS, 50, async (i) => {
      const node = nodeName(i);
      const enrolled = await plane.api("POST", "/v1/enroll", { token: token.body.token, node });
      assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
      const agent = new FleetAgent(
        node,
        await ScriptedAgent.connect(plane.server.url, enrolled.body.credential),
      );
      agent.stream.hello(node, null);
      return agent;
    });
  });

  after(async () => {
    for (const a of fleet) a.stream.ws.terminate();
    await plane?.close();
  });

  it("gives every agent a snapshot, then every revision as a delta it acks, and sync/wait answers once all acked", async () => {
    await until("every agent acked its snapshot", 10_000, () => fleet.every((a) => a.held !== null));
    const revisions: number[] = [];
    for (let w = 0; w < 5; w++) {
      const { revision } = await writePolicy();
      revisions.push(revision);
      const wait = await plane.api("GET", `/v1/sync/wait?revision=${revision}&timeoutSeconds=10`);
      assert.equal(wait.status, 200, JSON.stringify(wait.body));
      // Each agent sent its ack before the hub could count it, so all are recorded here.
      const missing = fleet.filter((a) => !a.acked.has(revision)).map((a) => a.node);
      assert.deepEqual(missing, [], `sync/wait answered 200 for ${revision} before these acked`);
    }
    for (const a of fleet) {
      assert.deepEqual(a.gaps, [], `${a.node} got a delta that did not start at its revision`);
      for (const r of revisions) assert.ok(a.acked.has(r), `${a.node} did not ack revision ${r}`);
      assert.equal(a.policyChanges, revisions.length, `${a.node} did not get each policy change`);
    }
    const nodes = await plane.api("GET", "/v1/nodes");
    const last = revisions.at(-1)!;
    assert.equal(
      nodes.body.items.filter((n: { appliedRevision: number }) => n.appliedRevision === last).length,
      AGENTS,
    );
  });

  it("does not delay the others' acks while one agent stops reading its socket", async () => {
    const [slow, ...others] = fleet;
    const before = slow!.held;
    slow!.socket.pause();
    const ackMs: number[] = [];
    let last = 0;
    for (let w = 0; w < 3; w++) {
      const startedAt = performance.now();
      const { revision } = await writePolicy();
      await until(`the other ${others.length} agents acked ${revision}`, 5_000, () =>
        others.every((a) => a.acked.has(revision)),
      );
      for (const a of others) ackMs.push(a.ackedAt.get(revision)! - startedAt);
      last = revision;
    }
    assert.equal(slow!.held, before, "the paused agent read nothing, so it acked nothing new");
    const lagging = await plane.api("GET", `/v1/sync/wait?revision=${last}&timeoutSeconds=0.2`);
    assert.equal(lagging.status, 504);
    assert.deepEqual(
      lagging.body.error.details.lagging.map((l: { node: string }) => l.node),
      [slow!.node],
    );
    // Generous for a loaded 2-core CI machine; a hub that waited on the stuck stream would not finish at all.
    const worst = Math.max(...ackMs);
    assert.ok(worst < 2_000, `slowest ack of the others took ${worst.toFixed(0)} ms`);
    slow!.socket.resume();
    await until("the paused agent caught up once it read again", 5_000, () => slow!.acked.has(last));
    assert.deepEqual(slow!.gaps, []);
  });

  it("drops an agent that stops answering heartbeats and keeps every other stream", async () => {
    const silent = fleet[1]!;
    const stuck = fleet[2]!;
    // Both stop answering at once: one still reads (it answers the close handshake), one does not.
    silent.answerHeartbeats = false;
    stuck.socket.pause();
    const closed = await silent.stream.waitClosed(8_000);
    assert.equal(closed.code, CLOSE.TIMEOUT);
    const rest = fleet.filter((a) => a !== silent && a !== stuck);
    assert.deepEqual(
      rest.filter((a) => a.stream.closed).map((a) => a.node),
      [],
      "streams that answered heartbeats stayed open",
    );
    const connected = await connectedNodes();
    assert.equal(connected.has(silent.node), false);
    assert.equal(rest.filter((a) => connected.has(a.node)).length, AGENTS - 2);
    const { revision } = await writePolicy();
    await until(`the remaining agents acked ${revision}`, 5_000, () =>
      rest.every((a) => a.acked.has(revision)),
    );
    const wait = await plane.api("GET", `/v1/sync/wait?revision=${revision}&timeoutSeconds=0.2`);
    const lagging =
      wait.status === 200 ? [] : wait.body.error.details.lagging.map((l: { node: string }) => l.node);
    assert.deepEqual(
      lagging.filter((n: string) => n !== stuck.node),
      [],
      "only an agent that stopped answering may hold sync/wait back",
    );
  });

  it("lets go of an agent that stopped reading its socket as soon as it misses its heartbeats", async () => {
    const stuck = fleet[2]!;
    // Read on the server: the paused client cannot see its own stream end.
    const deadline = performance.now() + 2_000;
    while ((await connectedNodes()).has(stuck.node)) {
      assert.ok(performance.now() < deadline, "the hub still counts the stuck agent as connected");
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
