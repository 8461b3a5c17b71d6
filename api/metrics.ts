// Owns the control plane's Prometheus metrics (prom-client, names palisade_*).
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { collectProcessMetrics } from "../lib/default-metrics.ts";

export interface ApiMetrics {
  registry: Registry;
  requests: Counter<"method" | "route" | "status">;
  requestSeconds: Histogram<"method" | "route" | "status">;
  objects: Gauge<"kind">;
  revision: Gauge;
  compileSeconds: Histogram;
}

export function createMetrics(
  collectObjects: () => Record<string, number>,
  currentRevision: () => number,
): ApiMetrics {
  const registry = new Registry();
  collectProcessMetrics(registry, "palisade_");
  return {
    registry,
    requests: new Counter({
      name: "palisade_http_requests_total",
      help: "HTTP requests by method, route pattern and status",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    }),
    requestSeconds: new Histogram({
      name: "palisade_http_request_duration_seconds",
      help: "HTTP request latency by method, route pattern and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    objects: new Gauge({
      name: "palisade_objects",
      help: "Stored objects by kind",
      labelNames: ["kind"],
      registers: [registry],
      collect() {
        for (const [kind, n] of Object.entries(collectObjects())) this.set({ kind }, n);
      },
    }),
    revision: new Gauge({
      name: "palisade_revision",
      help: "The store's current revision",
      registers: [registry],
      collect() {
        this.set(currentRevision());
      },
    }),
    compileSeconds: new Histogram({
      name: "palisade_compile_duration_seconds",
      help: "Time the compiler spent on one write (incremental)",
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
  };
}
