// Owns the webhook metrics (registered on the control plane's registry).
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface WebhookMetrics {
  deliveries: Counter<"result">;
  deliverySeconds: Histogram;
  inFlight: Gauge;
  inbound: Counter<"result">;
}

/** `queueDepth()` counts deliveries pending or in flight, read when Prometheus scrapes. */
export function createWebhookMetrics(registry: Registry, queueDepth: () => number): WebhookMetrics {
  const registers = [registry];
  new Gauge({
    name: "palisade_webhook_queue_depth",
    help: "Webhook deliveries pending or in flight",
    registers,
    collect() {
      this.set(queueDepth());
    },
  });
  return {
    deliveries: new Counter({
      name: "palisade_webhook_deliveries_total",
      help: "Webhook delivery attempts by result (success, retry, failed, gone, refused)",
      labelNames: ["result"],
      registers,
    }),
    deliverySeconds: new Histogram({
      name: "palisade_webhook_delivery_duration_seconds",
      help: "Time of one webhook delivery attempt, from connect to the end of the bounded answer",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    inFlight: new Gauge({
      name: "palisade_webhook_deliveries_in_flight",
      help: "Webhook delivery attempts running now",
      registers,
    }),
    inbound: new Counter({
      name: "palisade_webhook_inbound_total",
      help: "Inbound hook requests by result (applied, replayed, or the refusal code)",
      labelNames: ["result"],
      registers,
    }),
  };
}
