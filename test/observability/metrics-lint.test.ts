// Both /metrics endpoints of a running Palisade (control plane, agents) pass `promtool check
// metrics`, and every metric the rules and the dashboard read is one they export.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { exportedTypes, family, metricNames, panelQueries, rules } from "./harness/queries.ts";
import { bpfAgentSkipReason, type Stack, startStack } from "./harness/stack.ts";
import { binarySkipReason, findBinary, run } from "./harness/tools.ts";

describe("promtool check metrics on the running endpoints", { skip: binarySkipReason("promtool") }, () => {
  let stack: Stack;
  const scrapes: { what: string; text: string }[] = [];
  before(async () => {
    stack = await startStack();
    const cp = await stack.get(`${stack.url}/metrics`, stack.readToken);
    assert.equal(cp.status, 200, cp.text);
    scrapes.push({ what: "control plane", text: cp.text });
    for (const a of stack.agents) {
      const r = await stack.get(`${a.agent.metricsUrl}/metrics`);
      assert.equal(r.status, 200);
      scrapes.push({ what: `agent (${a.datapath} datapath)`, text: r.text });
    }
  });
  after(async () => {
    await stack?.close();
  });

  it("the control plane's /metrics needs a token and a read-scoped one is enough", async () => {
    assert.equal((await stack.get(`${stack.url}/metrics`)).status, 401);
    assert.match(scrapes[0]!.text, /^palisade_revision \d+$/m);
  });

  it("every endpoint passes promtool check metrics", async (t) => {
    t.diagnostic(`checked: ${scrapes.map((s) => s.what).join(", ")}`);
    if (bpfAgentSkipReason()) t.diagnostic(`no BPF agent: ${bpfAgentSkipReason()}`);
    const promtool = findBinary("promtool")!;
    for (const s of scrapes) {
      // promtool accepts an empty input: make sure there is something to check.
      assert.ok(s.text.split("\n").length > 100, `${s.what}: a full exposition`);
      const r = await run(promtool, ["check", "metrics"], { stdin: s.text });
      assert.equal(r.code, 0, `${s.what}: ${r.stdout}${r.stderr}`);
      assert.equal(`${r.stdout}${r.stderr}`.trim(), "", `${s.what}: no lint findings`);
    }
  });

  it("the process metrics are all there, with the active handles by type", () => {
    for (const [s, prefix] of [
      [scrapes[0]!, "palisade_"],
      [scrapes[1]!, "palisade_agent_"],
    ] as const) {
      const t = exportedTypes(s.text);
      assert.equal(t.get(`${prefix}nodejs_active_handles`), "gauge", s.what);
      assert.equal(t.get(`${prefix}process_cpu_seconds_total`), "counter", s.what);
      assert.equal(t.get(`${prefix}nodejs_heap_size_used_bytes`), "gauge", s.what);
    }
  });

  it("every metric the rules and the dashboard read is exported, or is a recording rule", () => {
    const exported = new Set(scrapes.flatMap((s) => [...exportedTypes(s.text).keys()]));
    const recorded = new Set(rules().flatMap((r) => (r.record ? [r.record] : [])));
    const read = [
      ...rules().map((r) => ({ where: r.record ?? r.alert!, expr: r.expr })),
      ...panelQueries().map((q) => ({ where: `panel "${q.panel}" ${q.refId}`, expr: q.expr })),
    ];
    assert.ok(read.length > 40);
    for (const { where, expr } of read) {
      for (const name of metricNames(expr)) {
        const known = recorded.has(name) || exported.has(family(name, exported));
        assert.ok(known, `${where} reads ${name}, which nothing exports`);
      }
    }
  });
});
