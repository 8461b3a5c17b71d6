// Owns how the pod-start benchmark prints: per-side spreads and palisade's added cost (with minus
// without, and with / without) against the goal, as Markdown tables for the README.
import { ms, table, verdict } from "../control-plane/report.ts";
import { spread } from "../control-plane/stats.ts";

export type Side = "with" | "without";

export interface PodSample {
  side: Side;
  /** RunPodSandbox, then the PodSandboxStatus that reads the IP (as kubelet does). */
  runPodMs: number;
  stopPodMs: number;
  /** Wrapper-timed ADD of the conflist's chain (bridge, then palisade on the `with` side). */
  chainAddMs?: number;
  bridgeMs?: number;
  palisadeMs?: number;
  /** The agent's own handling of the ADD (its `{"msg":"cni","ms":N}` log line). */
  agentAddMs?: number;
}

/** Palisade's goal from issue 9: added milliseconds at p50 and at p99. */
export const GOAL = { p50: 100, p99: 300 };

type Measure = { label: string; pick: (s: PodSample) => number | undefined; goal?: boolean };

const MEASURES: Measure[] = [
  { label: "RunPodSandbox to ready", pick: (s) => s.runPodMs, goal: true },
  { label: "ADD, whole chain", pick: (s) => s.chainAddMs, goal: true },
  { label: "  bridge + host-local exec", pick: (s) => s.bridgeMs },
  { label: "  palisade plugin exec", pick: (s) => s.palisadeMs },
  { label: "  agent's ADD (its log)", pick: (s) => s.agentAddMs },
  { label: "StopPodSandbox (DEL)", pick: (s) => s.stopPodMs },
];

function values(samples: PodSample[], side: Side, m: Measure): number[] {
  return samples
    .filter((s) => s.side === side)
    .map(m.pick)
    .filter((v): v is number => v !== undefined);
}

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const signed = (v: number) => `${v < 0 ? "-" : "+"}${ms(Math.abs(v))}`;

/** Per-side spreads, one row per measure and side that has samples. */
export function sidesTable(samples: PodSample[]): string {
  const rows: (string | number)[][] = [];
  for (const m of MEASURES)
    for (const side of ["without", "with"] as const) {
      const v = values(samples, side, m);
      if (v.length === 0) continue;
      const s = spread(v);
      rows.push([m.label, side, v.length, ms(s.p50), ms(s.p99), ms(s.mean), ms(s.max)]);
    }
  return table(["measure", "palisade", "pods", "p50", "p99", "mean", "max"], rows);
}

/** With minus without, and with / without, for the measures both sides have. */
export function addedTable(samples: PodSample[]): string {
  const rows: (string | number)[][] = [];
  for (const m of MEASURES) {
    const w = values(samples, "with", m);
    const wo = values(samples, "without", m);
    if (w.length === 0 || wo.length === 0) continue;
    const a = spread(w);
    const b = spread(wo);
    const goal = m.goal
      ? `p50 ${verdict(a.p50 - b.p50, GOAL.p50)}, p99 ${verdict(a.p99 - b.p99, GOAL.p99)}`
      : "";
    rows.push([
      m.label,
      signed(a.p50 - b.p50),
      signed(a.p99 - b.p99),
      signed(a.mean - b.mean),
      ratio(a.p50, b.p50),
      ratio(a.p99, b.p99),
      goal,
    ]);
  }
  return table(
    [
      "measure",
      "added p50",
      "added p99",
      "added mean",
      "ratio p50",
      "ratio p99",
      `goal (+${GOAL.p50} / +${GOAL.p99} ms)`,
    ],
    rows,
  );
}

/** One progress line for a finished batch. */
export function batchLine(samples: PodSample[], side: Side, done: number, total: number): string {
  const run = spread(samples.map((s) => s.runPodMs));
  const chain = samples.map((s) => s.chainAddMs).filter((v): v is number => v !== undefined);
  const add = chain.length > 0 ? `, ADD p50 ${ms(spread(chain).p50)}` : "";
  const label = side === "with" ? "with palisade   " : "without palisade";
  return `${label} ${String(done).padStart(4)}/${total}: RunPodSandbox p50 ${ms(run.p50)}${add}`;
}
