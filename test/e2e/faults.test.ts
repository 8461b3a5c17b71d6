// Faults under continuous traffic, two agents on one host: restarting an agent (SIGTERM, start
// again) lets no denied packet through and keeps an allowed established TCP connection working;
// restarting the control plane changes nothing in enforcement, and the agents resume.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type CaseContext, caseContext, PORTS } from "./conformance.cases.ts";
import { type Cluster, startCluster } from "./harness/cluster.ts";
import { type Flow, probeContinuously } from "./harness/continuous.ts";
import { conformanceSpec } from "./harness/pods.ts";
import { e2eSkipReason } from "./harness/skip.ts";

const nodeOf = (pod: string) => (pod === "b" ? "node-b" : "node-a");

describe("enforcement across agent and control plane restarts", { skip: e2eSkipReason() }, () => {
  let cluster: Cluster;
  let t: CaseContext;
  let denied: Flow[];
  let allowed: Flow[];
  before(async () => {
    cluster = await startCluster(conformanceSpec(["node-a", "node-b"], nodeOf, PORTS));
    t = caseContext(cluster);
    // x/a (node-a) admits only x/b (node-b) on TCP 80; y egress is denied outright.
    await t.policy("x", "a-from-b", {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }], ports: [{ port: 80 }] }],
    });
    await t.policy("y", "deny-egress", { podSelector: {}, policyTypes: ["Egress"] });
    const p = (key: string) => cluster.pod(key);
    const flow = (from: string, to: string, proto: "tcp" | "udp", port: number): Flow => ({
      from: p(from),
      to: p(to),
      proto,
      port,
    });
    denied = [
      flow("x/c", "x/a", "tcp", 80),
      flow("z/b", "x/a", "tcp", 80),
      flow("x/b", "x/a", "tcp", 81),
      flow("x/b", "x/a", "udp", 80),
      flow("y/a", "z/b", "tcp", 80),
      flow("y/b", "x/c", "udp", 81),
    ];
    allowed = [flow("x/b", "x/a", "tcp", 80), flow("z/a", "z/b", "udp", 80), flow("x/c", "y/b", "tcp", 81)];
  });
  after(async () => {
    await cluster?.teardown();
  });

  const expected = () =>
    t.reach(true).expectIngress("x/a", false).expect("x/b", "x/a", true).expectEgress("y", false);

  for (const node of ["node-a", "node-b"]) {
    it(`restarting the agent of ${node} leaks no denied probe and keeps an established connection`, async () => {
      const xb = cluster.pod("x/b");
      const held = `held-${node}`;
      assert.deepEqual(await xb.prober.open(held, cluster.pod("x/a").ip, 80), { ok: true, why: "" });
      const probes = probeContinuously(denied, allowed);
      try {
        assert.equal(await cluster.stopAgent(node), 0, "the agent exits 0 on SIGTERM");
        assert.equal((await xb.prober.ping(held)).ok, true, "the connection works while no agent runs");
        await t.check(["tcp", 80, expected()]);
        await cluster.startAgent(node);
        await cluster.api.syncWait(await cluster.api.revision(), { node });
        assert.equal((await xb.prober.ping(held)).ok, true, "the connection survived the restart");
        await t.check(
          ["tcp", 80, expected()],
          ["udp", 81, t.reach(true).expectIngress("x/a", false).expectEgress("y", false)],
        );
      } finally {
        const report = await probes.stop();
        await xb.prober.close(held);
        assert.deepEqual(report.leaks, [], `denied probes that connected (${report.deniedProbes} sent)`);
        assert.deepEqual(report.misses, [], `allowed probes that failed (${report.allowedProbes} sent)`);
        assert.ok(report.rounds >= 2, `probed continuously (${report.rounds} rounds)`);
      }
    });
  }

  it("a policy written while an agent is down is enforced when it is back; meanwhile it keeps the last state", async () => {
    const fromPod = (pod: string) => ({
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [{ from: [{ podSelector: { matchLabels: { pod } } }], ports: [{ port: 80 }] }],
    });
    assert.equal(await cluster.stopAgent("node-a"), 0);
    const put = await cluster.api.must("PUT", "/v1/namespaces/x/networkpolicies/a-from-b", {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "a-from-b", namespace: "x" },
      spec: fromPod("c"),
    });
    const lagging = await cluster.api.call(
      "GET",
      `/v1/sync/wait?revision=${put.revision}&timeoutSeconds=1&node=node-a`,
    );
    assert.equal(lagging.status, 504, "sync/wait says node-a lags");
    await t.check(["tcp", 80, expected()]);
    await cluster.startAgent("node-a");
    await cluster.api.syncWait(put.revision, { node: "node-a" });
    await t.check(["tcp", 80, expected().expect("x/b", "x/a", false).expect("x/c", "x/a", true)]);
    await t.policy("x", "a-from-b", fromPod("b"));
    await t.check(["tcp", 80, expected()]);
  });

  it("restarting the control plane changes nothing in enforcement, and the agents resume", async () => {
    const xb = cluster.pod("x/b");
    assert.equal((await xb.prober.open("held-cp", cluster.pod("x/a").ip, 80)).ok, true);
    const probes = probeContinuously(denied, allowed);
    try {
      assert.equal(await cluster.stopServer(), 0, "the server exits 0 on SIGTERM");
      await t.check(["tcp", 80, expected()]);
      assert.equal((await xb.prober.ping("held-cp")).ok, true);
      await cluster.startServer();
      for (const node of ["node-a", "node-b"]) await cluster.waitConnected(node, 30_000);
      const nodes = (await cluster.api.must("GET", "/v1/nodes")).items as {
        name: string;
        connected: boolean;
      }[];
      assert.deepEqual(nodes.map((n) => [n.name, n.connected]).sort(), [
        ["node-a", true],
        ["node-b", true],
      ]);
      assert.equal((await xb.prober.ping("held-cp")).ok, true);
    } finally {
      const report = await probes.stop();
      await xb.prober.close("held-cp");
      assert.deepEqual(report.leaks, [], `denied probes that connected (${report.deniedProbes} sent)`);
      assert.deepEqual(report.misses, [], `allowed probes that failed (${report.allowedProbes} sent)`);
    }
    // A write after the restart reaches both agents: sync/wait answers, enforcement follows.
    await t.policy("x", "a-from-z", {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "z" } } }], ports: [{ port: 80 }] }],
    });
    await t.check(["tcp", 80, expected().expect("z", "x/a", true)]);
  });
});
