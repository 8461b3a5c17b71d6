import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Registry } from "prom-client";
import { collectProcessMetrics, REDUNDANT_TOTALS } from "./default-metrics.ts";

/** name -> type, from the `# TYPE` lines of an exposition. */
function types(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

describe("process metrics", () => {
  it("export no gauge named like a counter, and keep the per-type gauges the totals summed", async () => {
    const registry = new Registry();
    collectProcessMetrics(registry, "palisade_test_");
    const t = types(await registry.metrics());
    for (const [name, type] of t) {
      if (name.endsWith("_total")) assert.equal(type, "counter", `${name} ends in _total but is a ${type}`);
    }
    for (const total of REDUNDANT_TOTALS) assert.equal(t.has(`palisade_test_${total}`), false);
    assert.equal(t.get("palisade_test_nodejs_active_handles"), "gauge");
    assert.equal(t.get("palisade_test_nodejs_active_requests"), "gauge");
    assert.equal(t.get("palisade_test_process_cpu_seconds_total"), "counter", "the other defaults stay");
    assert.equal(t.get("palisade_test_nodejs_eventloop_lag_seconds"), "gauge");
  });
});
