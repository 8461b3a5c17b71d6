// Checks that the benchmark times right answers: replays the change scenarios, applies every
// returned delta to a mirror of each node's maps (as an agent would), then compares the mirrors
// with the engine's snapshots, and the snapshots with a fresh compile of the final objects
// (identities compared by label set, since ids depend on history).
// Run: node --import tsx bench/control-plane/verify.ts [--scale 0.1] [--seed 1]

import { parseArgs } from "node:util";
import { nodeDelta } from "../../api/policy/compiler/change-set.ts";
import { type ApplyResult, PolicyEngine } from "../../api/policy/compiler/engine.ts";
import type { Change } from "../../api/policy/compiler/object-change.ts";
import { endpointKey, ipcacheKey, type NodeState, policyKey } from "../../wire/entries.ts";
import { applyMapDeltaTo } from "../../wire/map-delta.ts";
import { generateCluster, loadChanges, scaledParams } from "./generate.ts";
import { changeScenarios } from "./scenarios.ts";

type Mirror = { [M in keyof NodeState]: Map<string, NodeState[M][number]> };

const KEYS = { ipcache: ipcacheKey, endpoints: endpointKey, policies: policyKey } as const;

function main(): void {
  const { values } = parseArgs({
    options: { scale: { type: "string", default: "0.1" }, seed: { type: "string", default: "1" } },
  });
  const cluster = generateCluster(scaledParams(Number(values.scale), Number(values.seed)));
  const engine = new PolicyEngine();
  const objects = new Map<string, Change>();
  const load = loadChanges(cluster);
  for (const c of load) objects.set(objectKey(c), c);
  engine.apply(load);
  const mirrors = new Map(cluster.nodes.map((n) => [n, mirrorOf(engine.nodeState(n))]));
  for (const scenario of changeScenarios(cluster, 100)) {
    for (const change of scenario.changes) {
      applyToMirrors(mirrors, engine.apply([change]));
      if (change.op === "delete") objects.delete(objectKey(change));
      else objects.set(objectKey(change), change);
    }
  }
  const fresh = new PolicyEngine();
  const rank = { namespace: 0, endpoint: 1, policy: 2, clusterpolicy: 3 };
  fresh.apply([...objects.values()].sort((a, b) => rank[a.kind] - rank[b.kind]));
  let problems = 0;
  for (const node of cluster.nodes) {
    const live = engine.nodeState(node);
    const fromDeltas = snapshotOf(mirrors.get(node)!);
    problems += report(`${node}: deltas vs snapshot`, normalize(engine, fromDeltas), normalize(engine, live));
    problems += report(
      `${node}: incremental vs fresh`,
      normalize(engine, live),
      normalize(fresh, fresh.nodeState(node)),
    );
  }
  console.log(
    problems === 0
      ? `ok: ${cluster.nodes.length} nodes agree`
      : `${problems} mismatching comparisons (node x check)`,
  );
  process.exitCode = problems === 0 ? 0 : 1;
}

function objectKey(c: Change): string {
  if (c.kind === "namespace") return `namespace/${c.op === "upsert" ? c.value.name : c.name}`;
  if (c.kind === "clusterpolicy") return `clusterpolicy/${c.op === "upsert" ? c.value.name : c.name}`;
  return c.op === "upsert"
    ? `${c.kind}/${c.value.namespace}/${c.value.name}`
    : `${c.kind}/${c.namespace}/${c.name}`;
}

function mirrorOf(s: NodeState): Mirror {
  return {
    ipcache: new Map(s.ipcache.map((e) => [KEYS.ipcache(e), e])),
    endpoints: new Map(s.endpoints.map((e) => [KEYS.endpoints(e), e])),
    policies: new Map(s.policies.map((e) => [KEYS.policies(e), e])),
  };
}

function snapshotOf(m: Mirror): NodeState {
  return {
    ipcache: [...m.ipcache.values()],
    endpoints: [...m.endpoints.values()],
    policies: [...m.policies.values()],
  };
}

function applyToMirrors(mirrors: Map<string, Mirror>, r: ApplyResult): void {
  for (const [node, m] of mirrors) {
    applyMapDeltaTo(m.ipcache, r.changes.ipcache, KEYS.ipcache);
    const d = nodeDelta(r.changes, node);
    applyMapDeltaTo(m.endpoints, d.endpoints, KEYS.endpoints);
    applyMapDeltaTo(m.policies, d.policies, KEYS.policies);
  }
}

/** The node's state as text lines, with identities as label sets and policy sets as interfaces. */
function normalize(engine: PolicyEngine, s: NodeState): Set<string> {
  const names = new Map<number, string>();
  for (const r of engine.endpoints.values()) names.set(r.identity, r.identityKey);
  for (const [cidr, { id }] of engine.prefixes.all()) names.set(id, `prefix ${cidr}`);
  const name = (id: number) => names.get(id) ?? String(id);
  const bySet = new Map<number, string[]>();
  for (const p of s.policies) {
    const line = `${p.direction} ${name(p.remoteIdentity)} ${p.protocol}/${p.port}/${p.portPrefixLen} ${p.policyId}.${p.ruleIndex}`;
    bySet.set(p.policySetId, [...(bySet.get(p.policySetId) ?? []), line]);
  }
  const out = new Set<string>();
  for (const e of s.endpoints) {
    out.add(
      `endpoint ${e.interface} ${e.endpointId} ${name(e.identity)} ${e.ingressPolicyId} ${e.egressPolicyId}`,
    );
    for (const line of bySet.get(e.policySetId) ?? []) out.add(`${e.interface} ${line}`);
  }
  for (const i of s.ipcache) out.add(`ipcache ${i.prefix} ${name(i.identity)} ${name(i.prefixIdentity)}`);
  return out;
}

function report(what: string, a: Set<string>, b: Set<string>): number {
  const onlyA = [...a].filter((l) => !b.has(l));
  const onlyB = [...b].filter((l) => !a.has(l));
  if (onlyA.length + onlyB.length === 0) return 0;
  console.log(`${what}: ${onlyA.length} lines only left, ${onlyB.length} only right`);
  for (const l of [...onlyA.slice(0, 3), ...onlyB.slice(0, 3)]) console.log(`  ${l}`);
  return 1;
}

main();
