// A real Prometheus (Debian's binary, on 127.0.0.1) scrapes a running control plane and its agents
// with the shipped scrape config and rules, and accepts every dashboard query and every rule
// expression through its HTTP API; the core ones return the values the stack really has.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type RunningPrometheus, samples, startPrometheus, until } from "./harness/prometheus.ts";
import { asPrometheusQuery, panelQueries, rules } from "./harness/queries.ts";
import { type Stack, startStack } from "./harness/stack.ts";
import { binarySkipReason, findBinary } from "./harness/tools.ts";

describe("a real Prometheus over a running Palisade", { skip: binarySkipReason("prometheus") }, () => {
  let stack: Stack | undefined;
  let prom: RunningPrometheus | undefined;
  before(async () => {
    stack = await startStack();
    prom = await startPrometheus(findBinary("prometheus")!, {
      controlPlane: stack.target,
      token: stack.readToken,
      agents: stack.agents.map((a) => ({ target: a.metricsTarget, node: a.node })),
    });
  });
  after(async () => {
    await prom?.close();
    await stack?.close();
  });

  it("scrapes the control plane (with its bearer token) and every agent", async (t) => {
    const targets = await until("every target up", 30_000, async () => {
      const r = await prom!.api("/api/v1/targets?state=active");
      const active = r.data.activeTargets as {
        labels: Record<string, string>;
        health: string;
        lastError: string;
      }[];
      return active.length === stack!.agents.length + 1 && active.every((a) => a.health === "up")
        ? active
        : undefined;
    }).catch((err) => {
      throw new Error(`${err.message}; prometheus log: ${prom!.log()}`);
    });
    t.diagnostic(`targets: ${targets.map((a) => `${a.labels.job} ${a.labels.instance}`).join(", ")}`);
    const up = samples(await prom!.query("up"));
    assert.deepEqual(
      up.map((s) => s.value),
      Array(stack!.agents.length + 1).fill(1),
    );
  });

  it("evaluates the shipped rules", async () => {
    const r = await until("the rule groups evaluated", 30_000, async () => {
      const groups = (await prom!.api("/api/v1/rules")).data.groups as {
        name: string;
        rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[];
      }[];
      const all = groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((x) => !x.lastEvaluation.startsWith("0001")) ? all : undefined;
    });
    assert.equal(r.length, rules().length);
    for (const x of r) assert.equal(x.health, "ok", `${x.name}: ${x.lastError}`);
  });

  it("accepts every dashboard panel query and every rule expression", async () => {
    const queries = [
      ...panelQueries().map((q) => ({
        where: `panel "${q.panel}" ${q.refId}`,
        expr: asPrometheusQuery(q.expr),
      })),
      ...rules().map((r) => ({ where: r.record ?? r.alert!, expr: r.expr })),
    ];
    assert.ok(queries.length > 40);
    for (const q of queries) {
      const r = await prom!.query(q.expr);
      assert.equal(r.status, "success", `${q.where}: ${q.expr}\n${r.errorType}: ${r.error}`);
    }
  });

  it("the core queries return what the stack has: revision, agents connected, lag, states, map pressure", async () => {
    const s = stack!;
    const value = async (expr: string) =>
      until(`data for ${expr}`, 30_000, async () => {
        const got = samples(await prom!.query(expr));
        return got.length > 0 ? got : undefined;
      });
    assert.equal((await value("max(palisade_revision)"))[0]!.value, s.revision);
    assert.equal((await value("sum(palisade_agents_connected)"))[0]!.value, s.agents.length);
    const lag = await value("palisade_node_revision_lag");
    assert.deepEqual(lag.map((x) => x.metric.node).sort(), s.agents.map((a) => a.node).sort());
    for (const l of lag) assert.equal(l.value, 0, `${l.metric.node} is caught up`);
    const applied = await value("palisade_node_applied_revision");
    for (const a of applied) assert.equal(a.value, s.revision);
    const ready = await value('sum by (state) (palisade_agent_sync_state{instance=~".*"})');
    assert.equal(ready.find((x) => x.metric.state === "ready")?.value, s.agents.length);
    // The agent's node label from the scrape config joins it with the control plane's view.
    const joined = await value(
      "palisade_agent_applied_revision == on (node) group_left () palisade_node_applied_revision",
    );
    assert.equal(joined.length, s.agents.length);
    // A recording rule evaluated before the first scrape that saw the applied maps reads 0: wait
    // for an evaluation over the agents' applied state (every map in use), then check the range.
    const pressure = await until("map pressure over the applied maps", 30_000, async () => {
      const got = samples(await prom!.query("palisade:map_pressure_ratio:max"));
      return got.length === 3 && got.every((p) => p.value > 0) ? got : undefined;
    });
    assert.deepEqual(pressure.map((p) => p.metric.map).sort(), ["endpoints", "ipcache", "policies"]);
    assert.ok(pressure.every((p) => p.value > 0 && p.value < 0.8));
    const objects = await value("sum by (kind) (palisade_objects)");
    assert.equal(objects.find((o) => o.metric.kind === "networkpolicies")?.value, 1);
    // The dashboard's agent variable (label_values(palisade_agent_sync_state, instance)) lists every agent.
    const instances = await prom!.api(
      `/api/v1/label/instance/values?${new URLSearchParams({ "match[]": "palisade_agent_sync_state" })}`,
    );
    assert.deepEqual([...instances.data].sort(), s.agents.map((a) => a.metricsTarget).sort());
    // No alert fires on a healthy stack.
    const firing = samples(await prom!.query('ALERTS{alertstate="firing"}'));
    assert.deepEqual(firing, []);
  });
});
