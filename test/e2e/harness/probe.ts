// Owns checking a connectivity matrix with real traffic: every pod probes every other pod at once
// (TCP connect or UDP echo from inside the source pod), a cell expected to connect that timed out
// is probed once more (load on 2 cores can delay an accept), a cell expected blocked never is.
import assert from "node:assert/strict";
import type { Proto } from "../../../lib/netns/prober.ts";
import type { ClusterPod } from "./cluster.ts";
import { Reachability, renderMatrix } from "./reachability.ts";

export interface Check {
  proto: Proto;
  port: number;
  expected: Reachability;
}

export interface CheckResult {
  check: Check;
  observed: Reachability;
  wrong: number;
}

export async function observe(
  pods: ClusterPod[],
  check: Check,
  opts: { timeoutMs?: number } = {},
): Promise<CheckResult> {
  const byKey = new Map(pods.map((p) => [p.key, p]));
  const observed = new Reachability(check.expected.keys, false);
  const cells: [string, string][] = [];
  for (const from of check.expected.keys)
    for (const to of check.expected.keys) if (from !== to) cells.push([from, to]);
  const probeCell = async ([from, to]: [string, string]) => {
    const src = byKey.get(from)!;
    const dst = byKey.get(to)!;
    return (await src.prober.probe(check.proto, dst.ip, check.port, opts.timeoutMs ?? 1000)).ok;
  };
  const first = await Promise.all(cells.map(probeCell));
  for (const [i, [f, t]] of cells.entries()) observed.set(f, t, first[i]!);
  const retry = cells.filter(([f, t]) => check.expected.get(f, t) && !observed.get(f, t));
  const second = await Promise.all(retry.map(probeCell));
  for (const [i, [f, t]] of retry.entries()) observed.set(f, t, second[i]!);
  const wrong = cells.filter(([f, t]) => check.expected.get(f, t) !== observed.get(f, t)).length;
  return { check, observed, wrong };
}

/** Probes every check concurrently and fails with the matrices of the wrong ones. */
export async function assertConnectivity(pods: ClusterPod[], checks: Check[], title = ""): Promise<void> {
  const results = await Promise.all(checks.map((c) => observe(pods, c)));
  const bad = results.filter((r) => r.wrong > 0);
  if (bad.length === 0) return;
  const text = bad
    .map((r) =>
      renderMatrix(
        `${title} ${r.check.proto.toUpperCase()} ${r.check.port}`.trim(),
        r.check.expected,
        r.observed,
      ),
    )
    .join("\n\n");
  assert.fail(`connectivity differs from the expected matrix\n${text}`);
}
