// Owns the agent's Prometheus metrics (prom-client, names palisade_agent_*); datapath counters are
// read at scrape time.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { collectProcessMetrics } from "../lib/default-metrics.ts";
import type { MapSizes } from "../wire/entries.ts";
import type { Flow } from "../wire/flows.ts";
import type { CounterSample } from "./datapath/datapath.ts";
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
  drops: Counter<"reason" | "direction" | "namespace" | "policy">;
  policyVerdicts: Counter<"namespace" | "policy" | "direction" | "verdict">;
  /** Counts one flow event (a new connection or a drop) by its policy's name. */
  countFlow(f: Flow): void;
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
    help: "Drop events read from the datapath, by reason, direction and the policy that isolated the endpoint (namespace and name; empty when none, unknown when the agent has no name for it yet)",
    labelNames: ["reason", "direction", "namespace", "policy"],
    registers,
  });
  // Labels are policy names, never pods: cardinality is bounded by policies x 2 x 2.
  const policyVerdicts = new Counter({
    name: "palisade_agent_policy_verdicts_total",
    help: "Flow events by deciding policy: new connections a policy rule allowed, and connections dropped because the policy isolated the endpoint and no rule matched (reported events: sampled and rate-limited by the datapath)",
    labelNames: ["namespace", "policy", "direction", "verdict"],
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
    policyVerdicts,
    countFlow(f) {
      const p = policyLabels(f);
      // The reason label keeps the datapath's full name, as palisade_agent_packets_total has it.
      if (f.verdict === "dropped") drops.inc({ reason: `DROP_${f.reason}`, direction: f.direction, ...p });
      if (p.policy !== "") policyVerdicts.inc({ ...p, direction: f.direction, verdict: f.verdict });
    },
  };
}

/** The policy labels of a flow: the rule's policy, or for a default deny the isolating one. */
function policyLabels(f: Flow): { namespace: string; policy: string } {
  const p = f.policy;
  if (!p) return { namespace: "", policy: "" };
  if (p.kind === "NetworkPolicy") return { namespace: p.namespace, policy: p.name };
  if (p.kind === "DefaultDeny" && p.isolatedBy)
    return { namespace: p.isolatedBy.namespace, policy: p.isolatedBy.name };
  return { namespace: f.endpoint?.namespace ?? "", policy: "unknown" };
}
