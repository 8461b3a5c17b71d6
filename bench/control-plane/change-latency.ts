// Owns the change -> per-node deltas measurement: applies each scenario's changes one at a time
// and records, per change, the wall time, the GC pause time inside it, and the size of its deltas.

import { PerformanceObserver } from "node:perf_hooks";
import { nodeDelta } from "../../api/policy/compiler/change-set.ts";
import type { ApplyResult, PolicyEngine } from "../../api/policy/compiler/engine.ts";
import type { Change } from "../../api/policy/compiler/object-change.ts";
import type { Scenario } from "./scenarios.ts";

export interface ChangeSample {
  ms: number;
  /** GC pause time that fell inside this apply. */
  gcMs: number;
  nodes: number;
  /** Entries in the deltas, counting the shared ipcache part once per node of the cluster. */
  entries: number;
  setsRecomputed: number;
  label: string;
}

export interface ScenarioResult {
  scenario: Scenario;
  samples: ChangeSample[];
}

export async function measureChanges(
  engine: PolicyEngine,
  scenarios: Scenario[],
  clusterNodes: number,
): Promise<ScenarioResult[]> {
  const pauses: { start: number; end: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push({ start: e.startTime, end: e.startTime + e.duration });
  });
  observer.observe({ entryTypes: ["gc"] });
  const out: ScenarioResult[] = [];
  try {
    for (const scenario of scenarios) {
      const windows: { start: number; end: number }[] = [];
      const samples = scenario.changes.map((change): ChangeSample => {
        const start = performance.now();
        const r = engine.apply([change]);
        const end = performance.now();
        windows.push({ start, end });
        return { ms: end - start, gcMs: 0, ...deltaSize(r, clusterNodes), label: describe(change) };
      });
      // GC entries reach the observer a little later, from a task of their own.
      await new Promise((resolve) => setTimeout(resolve, 50));
      windows.forEach((w, i) => {
        for (const p of pauses) {
          const overlap = Math.min(w.end, p.end) - Math.max(w.start, p.start);
          if (overlap > 0) samples[i]!.gcMs += overlap;
        }
      });
      out.push({ scenario, samples });
    }
  } finally {
    observer.disconnect();
  }
  return out;
}

function deltaSize(
  r: ApplyResult,
  clusterNodes: number,
): Pick<ChangeSample, "nodes" | "entries" | "setsRecomputed"> {
  const perNode = Object.keys(r.changes.nodes).map((node) => nodeDelta(r.changes, node));
  let entries = (r.changes.ipcache.upsert.length + r.changes.ipcache.remove.length) * clusterNodes;
  for (const d of perNode) {
    entries += d.endpoints.upsert.length + d.endpoints.remove.length;
    entries += d.policies.upsert.length + d.policies.remove.length;
  }
  return { nodes: perNode.length, entries, setsRecomputed: r.setsRecomputed };
}

/** A short name of what a change touches, for the "slowest change" column. */
export function describe(c: Change): string {
  if (c.kind === "namespace") return `${c.op} ns ${c.op === "upsert" ? c.value.name : c.name}`;
  if (c.kind === "clusterpolicy") return `${c.op} cnp ${c.op === "upsert" ? c.value.name : c.name}`;
  if (c.op === "upsert") return `${c.op} ${c.kind} ${c.value.namespace}/${c.value.name}`;
  return `${c.op} ${c.kind} ${c.namespace}/${c.name}`;
}
