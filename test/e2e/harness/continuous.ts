// Owns continuous probing across a disruption: rounds of concurrent probes that must stay blocked
// (any success is a leak) and that must keep connecting, until stopped; it reports counts and the
// first few offending probes.

import type { Proto } from "../../../lib/netns/prober.ts";
import type { ClusterPod } from "./cluster.ts";

export interface Flow {
  from: ClusterPod;
  to: ClusterPod;
  proto: Proto;
  port: number;
}

export interface ContinuousReport {
  rounds: number;
  deniedProbes: number;
  /** Probes expected blocked that connected: must be 0. */
  leaks: string[];
  allowedProbes: number;
  /** Probes expected to connect that did not. */
  misses: string[];
}

/** How long an allowed UDP probe waits for its echo. */
const UDP_ALLOWED_MS = 2000;

const label = (f: Flow) => `${f.from.key} -> ${f.to.key} ${f.proto}/${f.port}`;

/** Probes `denied` and `allowed` in rounds (timeout `timeoutMs`) until stop() is called. */
export function probeContinuously(denied: Flow[], allowed: Flow[], timeoutMs = 500) {
  const report: ContinuousReport = { rounds: 0, deniedProbes: 0, leaks: [], allowedProbes: 0, misses: [] };
  let running = true;
  const loop = (async () => {
    while (running) {
      const probe = (f: Flow) => f.from.prober.probe(f.proto, f.to.ip, f.port, timeoutMs);
      // A UDP probe is one datagram, sent once: waiting longer for its echo hides no drop, it only
      // absorbs a loaded machine's scheduling (a 500 ms echo timed out once in CI at load 10).
      // TCP keeps the short timeout, below the first SYN retransmission, so a dropped SYN shows.
      const probeAllowed = (f: Flow) =>
        f.from.prober.probe(
          f.proto,
          f.to.ip,
          f.port,
          f.proto === "udp" ? Math.max(timeoutMs, UDP_ALLOWED_MS) : timeoutMs,
        );
      const [d, a] = await Promise.all([
        Promise.all(denied.map(probe)),
        Promise.all(allowed.map(probeAllowed)),
      ]);
      report.rounds += 1;
      report.deniedProbes += d.length;
      report.allowedProbes += a.length;
      for (const [i, r] of d.entries())
        if (r.ok) report.leaks.push(`round ${report.rounds}: ${label(denied[i]!)}`);
      for (const [i, r] of a.entries())
        if (!r.ok) report.misses.push(`round ${report.rounds}: ${label(allowed[i]!)} (${r.why})`);
    }
  })();
  return {
    report,
    async stop(): Promise<ContinuousReport> {
      running = false;
      await loop;
      return report;
    },
  };
}
