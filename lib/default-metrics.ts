// Owns the process metrics both /metrics endpoints export (prom-client's defaults), made to pass
// `promtool check metrics`.
import { collectDefaultMetrics, type Registry } from "prom-client";

/**
 * prom-client exports three gauges whose names end in `_total` (`nodejs_active_handles_total`,
 * `..._requests_total`, `..._resources_total`), which the Prometheus naming rules reserve for
 * counters (prometheus/client_js#283). Each only sums a gauge registered beside it with a `type`
 * label (`nodejs_active_handles{type}` ...), so they are unregistered and nothing is lost:
 * `sum without (type) (PREFIXnodejs_active_handles)` is the total. Every other default stays.
 */
export const REDUNDANT_TOTALS = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

export function collectProcessMetrics(registry: Registry, prefix: string): void {
  collectDefaultMetrics({ register: registry, prefix });
  for (const name of REDUNDANT_TOTALS) registry.removeSingleMetric(`${prefix}${name}`);
}
