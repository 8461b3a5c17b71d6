// Owns the agent's Prometheus metrics (prom-client, names palisade_agent_*); datapath counters are
// read at scrape time.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { collectProcessMetrics } from "../lib/default-metrics.ts";
import type { MapSizes } from "../wire/entries.ts";
import type { CounterSample, DropRecord } from "./datapath/datapath.ts";
import type { ReconcileStats } from "./reconcile/loop.ts";
import { AGENT_STATES, type AgentState } from "./state.ts";

export interface AgentMetricsSources {
  state(): AgentState;
  appliedRevision(): number | null;
  stats(): ReconcileStats;
  sizes: MapSizes;
  counters(): CounterSample[];
}

export interface AgentMetrics {
  registry: Registry;
  reconnects: Counter;
  applySeconds: Histogram<"result">;
  answers: Counter<"type">;
  drops: Counter<"reason" | "direction" | "policy">;
  countDrops(drops: DropRecord[]): void;
}

export function createAgentMetrics(src: AgentMetricsSources, { defaults = true } = {}): AgentMetrics {
  const registry = new Registry();
  if (defaults) collectProcessMetrics(registry, "palisade_agent_");
  const registers = [registry];
  new Gauge({
    name: "palisade_agent_applied_revision",
    help: "The revision the datapath enforces (-1 before the first)",
    registers,
    collect() {
      this.set(src.appliedRevision() ?? -1);
    },
  });
  new Gauge({
    name: "palisade_agent_sync_state",
    help: "1 for the agent's current state, 0 for the others",
    labelNames: ["state"],
    registers,
    collect() {
      const now = src.state();
      for (const s of AGENT_STATES) this.set({ state: s }, s === now ? 1 : 0);
    },
  });
  const maps = ["ipcache", "policies", "endpoints"] as const;
  new Gauge({
    name: "palisade_agent_map_entries",
    help: "Entries in each datapath map",
    labelNames: ["map"],
    registers,
    collect() {
      const s = src.stats();
      for (const m of maps) this.set({ map: m }, s[m]);
    },
  });
  new Gauge({
    name: "palisade_agent_map_pressure_ratio",
    help: "Entries over capacity for each datapath map",
    labelNames: ["map"],
    registers,
    collect() {
      const s = src.stats();
      for (const m of maps) this.set({ map: m }, src.sizes[m] > 0 ? s[m] / src.sizes[m] : 0);
    },
  });
  new Gauge({
    name: "palisade_agent_interfaces",
    help: "Endpoint interfaces by status: attached, or pending (the interface does not exist yet)",
    labelNames: ["status"],
    registers,
    collect() {
      const s = src.stats();
      this.set({ status: "attached" }, s.attached);
      this.set({ status: "pending" }, s.pending.length);
    },
  });
  for (const [field, help] of [
    ["packets", "Packets seen by the datapath"],
    ["bytes", "Bytes seen by the datapath"],
  ] as const) {
    new Counter({
      name: `palisade_agent_${field}_total`,
      help: `${help}, by direction (ingress = to the pod), verdict and reason (read at scrape time)`,
      labelNames: ["direction", "verdict", "reason"],
      registers,
      collect() {
        this.reset();
        for (const c of src.counters()) {
          this.inc({ direction: c.direction, verdict: c.verdict, reason: c.reason }, c[field]);
        }
      },
    });
  }
  const drops = new Counter({
    name: "palisade_agent_drop_events_total",
    help: "Drop events read from the datapath, by reason, direction and deciding policy id (0 = none)",
    labelNames: ["reason", "direction", "policy"],
    registers,
  });
  return {
    registry,
    reconnects: new Counter({
      name: "palisade_agent_reconnects_total",
      help: "Sync stream reconnect attempts",
      registers,
    }),
    applySeconds: new Histogram({
      name: "palisade_agent_apply_duration_seconds",
      help: "Time to plan and apply one revision to the datapath",
      labelNames: ["result"],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    }),
    answers: new Counter({
      name: "palisade_agent_revisions_total",
      help: "Revisions answered, by answer (ack, nack, resync)",
      labelNames: ["type"],
      registers,
    }),
    drops,
    countDrops(list) {
      for (const d of list)
        drops.inc({ reason: d.reason, direction: d.direction, policy: String(d.policyId) });
    },
  };
}
