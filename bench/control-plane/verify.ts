// Checks that the benchmark times right answers: replays the change scenarios, applies every
// returned delta to a mirror of each node's maps (as an agent would), then compares the mirrors
// with the engine's snapshots, and the snapshots with a fresh compile of the final objects
// (identities compared by label set, namespace identities by namespace, since ids depend on
// history). With --cnps N the cluster policies of the compile benchmark and their change kinds
// are added.
// Run: node --import tsx bench/control-plane/verify.ts [--scale 0.1] [--seed 1] [--cnps 0]

import { parseArgs } from "node:util";
import { nodeDelta } from "../../api/policy/compiler/change-set.ts";
import { type ApplyResult, PolicyEngine } from "../../api/policy/compiler/engine.ts";
import type { Change } from "../../api/policy/compiler/object-change.ts";
import {
  endpointKey,
  ipcacheKey,
  isNamespaceIdentity,
  type NodeState,
  namespaceMapPrefix,
  policyKey,
} from "../../wire/entries.ts";
import { applyMapDeltaTo } from "../../wire/map-delta.ts";
import { generateClusterPolicies } from "./cluster-policies.ts";
import { generateCluster, loadChanges, scaledParams } from "./generate.ts";
import { createRng } from "./prng.ts";
import { changeScenarios, clusterScenarios } from "./scenarios.ts";

type Mirror = { [M in keyof NodeState]: Map<string, NodeState[M][number]> };

const KEYS = { ipcache: ipcacheKey, endpoints: endpointKey, policies: policyKey } as const;

function main(): void {
  const { values } = parseArgs({
    options: {
      scale: { type: "string", default: "0.1" },
      seed: { type: "string", default: "1" },
      cnps: { type: "string", default: "0" },
    },
  });
  const seed = Number(values.seed);
  const cluster = generateCluster(scaledParams(Number(values.scale), seed));
  const engine = new PolicyEngine();
  const objects = new Map<string, Change>();
  // The same cluster policies and change kinds as compile.bench.ts --cnps.
  const cnps = generateClusterPolicies(createRng(seed + 7), Number(values.cnps));
  const load = [
    ...loadChanges(cluster),
    ...cnps.map((value, i): Change => ({ kind: "clusterpolicy", op: "upsert", id: i + 1, value })),
  ];
  for (const c of load) objects.set(objectKey(c), c);
  engine.apply(load);
  const mirrors = new Map(cluster.nodes.map((n) => [n, mirrorOf(engine.nodeState(n))]));
  const scenarios = changeScenarios(cluster, 100);
  if (cnps.length > 0) scenarios.push(...clusterScenarios(cnps, 100, seed + 8));
  for (const scenario of scenarios) {
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
  // The namespace map: its key names a label identity, its entry the namespace's identity.
  const mapped = new Map<string, number>();
  const ipcache = new Map(s.ipcache.map((e) => [e.prefix, e]));
  for (const [identity, info] of engine.selectors.identities) {
    const ns = ipcache.get(namespaceMapPrefix(identity));
    if (ns) {
      names.set(ns.identity, `namespace ${info.namespace}`);
      mapped.set(ns.prefix, identity);
    }
  }
  const name = (id: number) => names.get(id) ?? (isNamespaceIdentity(id) ? "namespace ?" : String(id));
  const prefixName = (prefix: string) =>
    mapped.has(prefix) ? `namespace map of ${name(mapped.get(prefix)!)}` : prefix;
  const bySet = new Map<number, string[]>();
  for (const p of s.policies) {
    const view = `${p.audit ? "audit " : ""}${p.tier ?? "np"} ${p.direction}`;
    const value = `${p.verdict} ${p.priority ?? ""} ${p.policyId}.${p.ruleIndex}`;
    const line = `${view} ${name(p.remoteIdentity)} ${p.protocol}/${p.port}/${p.portPrefixLen} ${value}`;
    bySet.set(p.policySetId, [...(bySet.get(p.policySetId) ?? []), line]);
  }
  const out = new Set<string>();
  for (const e of s.endpoints) {
    out.add(
      `endpoint ${e.interface} ${e.endpointId} ${name(e.identity)} ${e.ingressPolicyId} ${e.egressPolicyId} ${flags(e)}`,
    );
    for (const line of bySet.get(e.policySetId) ?? []) out.add(`${e.interface} ${line}`);
  }
  for (const i of s.ipcache) {
    out.add(`ipcache ${prefixName(i.prefix)} ${name(i.identity)} ${name(i.prefixIdentity)}`);
  }
  return out;
}

/** The tier and audit flags of an endpoint entry, in one word. */
function flags(e: NodeState["endpoints"][number]): string {
  const bits = [
    e.ingressAdmin,
    e.egressAdmin,
    e.ingressBaseline,
    e.egressBaseline,
    e.ingressAudit,
    e.egressAudit,
    e.ingressIsolatedAll,
    e.egressIsolatedAll,
  ];
  return bits.map((b) => (b ? "1" : "0")).join("");
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
