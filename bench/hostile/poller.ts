// Owns the /healthz poller: one GET every `periodMs` (not waiting for the previous answer, so a
// blocked event loop shows as the time each queued probe waited), until stopped.
import type { Client } from "../control-plane/http-load.ts";

export interface Poller {
  /** Stops sending; resolves with every probe's latency in ms once the last one answered. */
  stop(): Promise<number[]>;
}

export function pollHealthz(client: Client, periodMs: number): Poller {
  const latencies: number[] = [];
  const inFlight = new Set<Promise<void>>();
  const probe = () => {
    const p = client.call({ method: "GET", path: "/healthz" }).then((a) => {
      if (a.status !== 200) throw new Error(`GET /healthz answered ${a.status}`);
      latencies.push(a.ms);
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  // One probe at once: a write shorter than the period still gets a sample.
  probe();
  const timer = setInterval(probe, periodMs);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      return latencies;
    },
  };
}
