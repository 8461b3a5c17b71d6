// Owns the sync hub's Prometheus metrics (registered on the control plane's registry).
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface SyncMetrics {
  connected: Gauge;
  deltasSent: Counter;
  snapshotsSent: Counter;
  acks: Counter;
  nacks: Counter;
  fanoutSeconds: Histogram;
  /** The hub's own share of a fan-out: one revision handed to every stream (encoding, socket writes). */
  sendSeconds: Histogram;
  eventsDropped: Counter<"type">;
}

/** `nodes()` lists connected nodes with their applied revision, for the per-node gauges. */
export function createSyncMetrics(
  registry: Registry,
  nodes: () => { node: string; appliedRevision: number | null }[],
  currentRevision: () => number,
): SyncMetrics {
  const registers = [registry];
  new Gauge({
    name: "palisade_node_applied_revision",
    help: "Revision each connected node last acknowledged",
    labelNames: ["node"],
    registers,
    collect() {
      this.reset();
      for (const n of nodes()) if (n.appliedRevision !== null) this.set({ node: n.node }, n.appliedRevision);
    },
  });
  new Gauge({
    name: "palisade_node_revision_lag",
    help: "Revisions each connected node is behind the store",
    labelNames: ["node"],
    registers,
    collect() {
      this.reset();
      const current = currentRevision();
      for (const n of nodes()) this.set({ node: n.node }, current - (n.appliedRevision ?? 0));
    },
  });
  return {
    connected: new Gauge({
      name: "palisade_agents_connected",
      help: "Agents with an open stream",
      registers,
    }),
    deltasSent: new Counter({
      name: "palisade_sync_deltas_sent_total",
      help: "Delta messages sent to agents",
      registers,
    }),
    snapshotsSent: new Counter({
      name: "palisade_sync_snapshots_sent_total",
      help: "Snapshots sent to agents",
      registers,
    }),
    acks: new Counter({
      name: "palisade_sync_acks_total",
      help: "Revisions acknowledged by agents",
      registers,
    }),
    nacks: new Counter({ name: "palisade_sync_nacks_total", help: "Revisions refused by agents", registers }),
    eventsDropped: new Counter({
      name: "palisade_sync_events_dropped_total",
      help: "Node events (and their log lines) dropped by the per-node limit; the next one delivered counts them",
      labelNames: ["type"],
      registers,
    }),
    sendSeconds: new Histogram({
      name: "palisade_sync_fanout_send_seconds",
      help: "Time to send one revision to every connected agent (encoding and socket writes), per revision",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    fanoutSeconds: new Histogram({
      name: "palisade_sync_fanout_seconds",
      help: "Time from a commit to each agent's acknowledgement",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
  };
}
