// Owns the incremental workloads: for each kind of change, a sequence of single changes to apply
// one at a time to an engine that holds the generated cluster (each kind continues from the last).
import type { Change } from "../../api/policy/compiler/object-change.ts";
import { rule, sel } from "../../api/policy/compiler/testing.ts";
import type { ClusterNetworkPolicy, Endpoint, Namespace, NetworkPolicy } from "../../api/policy/model.ts";
import { type Cluster, makeEndpoint } from "./generate.ts";
import { appPolicy, policyContext } from "./policy-mix.ts";
import { createRng, type Rng } from "./prng.ts";

export interface Scenario {
  name: string;
  /** What one change does, for the report. */
  description: string;
  changes: Change[];
}

/** `count` changes of each kind, in the order they must be applied. Does not modify `cluster`. */
export function changeScenarios(cluster: Cluster, count: number, seed = cluster.params.seed + 1): Scenario[] {
  const rng = createRng(seed);
  const added = addedEndpoints(rng, cluster, count);
  return [
    {
      name: "policy add",
      description: "a new per-application policy",
      changes: addedPolicies(rng, cluster, count),
    },
    {
      name: "policy update",
      description: "an existing policy gains a port or a rule",
      changes: updatedPolicies(rng, cluster, count),
    },
    {
      name: "endpoint labels",
      description: "a running pod gets a new label (new identity)",
      changes: relabeledEndpoints(rng, cluster, count),
    },
    {
      name: "namespace labels",
      description: "a namespace's env label flips (all its identities change)",
      changes: relabeledNamespaces(rng, cluster, count),
    },
    {
      name: "endpoint add",
      description: "a new replica of an existing deployment",
      changes: added.map(({ id, value }): Change => ({ kind: "endpoint", op: "upsert", id, value })),
    },
    {
      name: "endpoint delete",
      description: "one of the added replicas goes away",
      changes: rng.sample(added, added.length).map(
        ({ value }): Change => ({
          kind: "endpoint",
          op: "delete",
          namespace: value.namespace,
          name: value.name,
        }),
      ),
    },
  ];
}

function addedPolicies(rng: Rng, c: Cluster, count: number): Change[] {
  const ctx = policyContext(rng, c.namespaces, c.deployments, c.blocks);
  return Array.from({ length: count }, (_, i): Change => {
    const value = appPolicy(ctx);
    return {
      kind: "policy",
      op: "upsert",
      id: c.policies.length + 1 + i,
      value: renamed(value, "bench-added"),
    };
  });
}

function updatedPolicies(rng: Rng, c: Cluster, count: number): Change[] {
  const picks = rng.sample(
    c.policies.map((p, i) => ({ p, id: i + 1 })),
    count,
  );
  // Fewer policies than changes (small scales): update some twice.
  while (picks.length < count) picks.push(...picks.slice(0, count - picks.length));
  return picks.map(({ p, id }): Change => ({ kind: "policy", op: "upsert", id, value: widened(p) }));
}

/** The policy with one more allowed port, or (for a default-deny) one more rule. */
function widened(p: NetworkPolicy): NetworkPolicy {
  const spec = structuredClone(p.spec);
  const extraPort = { protocol: "TCP" as const, port: 8443 };
  const first = spec.ingress[0] ?? spec.egress[0];
  if (first && first.ports.length > 0) first.ports.push(extraPort);
  else if (spec.policyTypes.includes("Ingress"))
    spec.ingress.push(rule([{ podSelector: sel() }], [extraPort]));
  else spec.egress.push(rule([{ podSelector: sel() }], [extraPort]));
  return { ...p, spec };
}

function relabeledEndpoints(rng: Rng, c: Cluster, count: number): Change[] {
  const picks = rng.sample(
    c.endpoints.map((value, i) => ({ value, id: i + 1 })),
    count,
  );
  return picks.map(({ value, id }): Change => {
    const labels = { ...value.labels, debug: "on" };
    return { kind: "endpoint", op: "upsert", id, value: { ...value, labels } };
  });
}

function relabeledNamespaces(rng: Rng, c: Cluster, count: number): Change[] {
  const current = new Map(c.namespaces.map((n) => [n.name, n]));
  const order = rng.sample([...current.keys()], current.size);
  return Array.from({ length: count }, (_, i): Change => {
    const old = current.get(order[i % order.length]!)!;
    const env = old.labels.env === "prod" ? "staging" : "prod";
    const value: Namespace = { name: old.name, labels: { ...old.labels, env } };
    current.set(old.name, value);
    return { kind: "namespace", op: "upsert", value };
  });
}

function addedEndpoints(rng: Rng, c: Cluster, count: number): { id: number; value: Endpoint }[] {
  const addresses = c.addresses.clone();
  return Array.from({ length: count }, (_, i) => ({
    id: c.endpoints.length + 1 + i,
    value: makeEndpoint(rng, rng.pick(c.deployments), c.nodes, addresses),
  }));
}

function renamed(p: NetworkPolicy, prefix: string): NetworkPolicy {
  return { ...p, name: `${prefix}-${p.name}` };
}

/** Cluster policy changes: a priority moves, and a policy switches between audit and enforce. */
export function clusterScenarios(cnps: ClusterNetworkPolicy[], count: number, seed: number): Scenario[] {
  const rng = createRng(seed);
  const idOf = new Map(cnps.map((c, i) => [c.name, i + 1]));
  const upsert = (value: ClusterNetworkPolicy): Change => ({
    kind: "clusterpolicy",
    op: "upsert",
    id: idOf.get(value.name)!,
    value,
  });
  const picked = Array.from({ length: count }, () => rng.pick(cnps));
  return [
    {
      name: "cluster policy priority",
      description: "a ClusterNetworkPolicy moves to another priority",
      changes: picked.map((c) => upsert({ ...c, spec: { ...c.spec, priority: rng.int(0, 1000) } })),
    },
    {
      name: "cluster policy mode",
      description: "a ClusterNetworkPolicy switches between audit and enforce",
      changes: picked.map((c) =>
        upsert({
          ...c,
          annotations: c.annotations["palisade.dev/mode"] ? {} : { "palisade.dev/mode": "audit" },
        }),
      ),
    },
  ];
}
