import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type RunningServer, startServer } from "../../main.ts";
import { ScriptedAgent } from "../../sync/testing.ts";
import { TestReceiver } from "../testing.ts";

const ADMIN = "node-events-admin";

describe("node events", () => {
  let server: RunningServer;
  let receiver: TestReceiver;
  let dir: string;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: test answers are read field by field
    return { status: res.status, body: (await res.json()) as any };
  };
  const events = () => receiver.received.map((r) => JSON.parse(r.body));
  const waitForType = async (type: string, count = 1) => {
    const deadline = Date.now() + 5000;
    while (events().filter((e) => e.type === type).length < count) {
      if (Date.now() > deadline) throw new Error(`no ${type} event; got ${events().map((e) => e.type)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return events().filter((e) => e.type === type);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "palisade-node-events-"));
    receiver = await TestReceiver.start();
    server = await startServer({
      listen: "127.0.0.1:0",
      dbPath: join(dir, "p.db"),
      adminToken: ADMIN,
      heartbeatSeconds: 30,
      webhookAllowNetworks: ["127.0.0.0/8"],
      log: () => {},
    });
    const sub = await api("POST", "/v1/webhooks", {
      url: receiver.url,
      events: ["node.enrolled", "node.connected", "node.disconnected", "node.nack", "revision.enforced"],
    });
    assert.equal(sub.status, 201);
  });
  after(async () => {
    await server.close();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("announces enrollment, connection, nack, enforcement of a revision by every node, and disconnection", async () => {
    await api("PUT", "/v1/namespaces/x", { labels: {} });
    const credentials: string[] = [];
    for (const node of ["n1", "n2"]) {
      const token = await api("POST", "/v1/enrollment-tokens", {});
      const enrolled = await api("POST", "/v1/enroll", { token: token.body.token, node });
      credentials.push(enrolled.body.credential);
    }
    assert.deepEqual((await waitForType("node.enrolled", 2)).map((e) => e.data.node).sort(), ["n1", "n2"]);

    const a1 = await ScriptedAgent.connect(server.url, credentials[0]!);
    a1.hello("n1", null);
    const snap = await a1.next("snapshot");
    a1.send({ type: "ack", revision: snap.revision });
    const a2 = await ScriptedAgent.connect(server.url, credentials[1]!);
    a2.hello("n2", null);
    await a2.next("snapshot");
    assert.equal((await waitForType("node.connected", 2)).length, 2);

    const put = await api("PUT", "/v1/namespaces/x/networkpolicies/p", {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "p" },
      spec: { podSelector: {} },
    });
    const revision = put.body.revision as number;
    a1.send({ type: "ack", revision });
    a2.send({ type: "nack", revision, error: { code: "ERR_TEST", message: "refused in a test" } });
    const [nack] = await waitForType("node.nack");
    assert.deepEqual([nack.revision, nack.data.node, nack.data.error.code], [revision, "n2", "ERR_TEST"]);
    const enforcedAt = (r: number) =>
      events().filter((e) => e.type === "revision.enforced" && e.revision >= r);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(enforcedAt(revision).length, 0, "n2 has not applied it");

    // A nacking agent keeps its last good state; the next commit brings it a snapshot it applies.
    const next = await api("PUT", "/v1/namespaces/x/networkpolicies/q", {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "q" },
      spec: { podSelector: {} },
    });
    const latest = next.body.revision as number;
    a1.send({ type: "ack", revision: latest });
    const resync = await a2.next("snapshot");
    assert.equal(resync.revision, latest);
    a2.send({ type: "ack", revision: latest });
    const deadline = Date.now() + 5000;
    while (enforcedAt(revision).length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const [enforced] = enforcedAt(revision);
    assert.equal(enforced?.revision, latest, JSON.stringify(events()));
    assert.ok(enforced.data.previousRevision < revision, "it covers the nacked revision too");
    assert.deepEqual(enforced.data.nodes, ["n1", "n2"]);
    a1.send({ type: "ack", revision: latest });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(enforcedAt(revision).length, 1, "once per revision");

    a2.close();
    const [gone] = await waitForType("node.disconnected");
    assert.equal(gone.data.node, "n2");
    a1.close();
    await waitForType("node.disconnected", 2);
    for (const e of events()) assert.match(e.id, /^evt_/);
  });
});
