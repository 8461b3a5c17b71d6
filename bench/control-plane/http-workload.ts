// Owns the requests of the HTTP benchmark: seeding the generated cluster through the API, and the
// bounded list of NetworkPolicy writes (creates of new per-application policies, updates of those).
import { renderNetworkPolicy } from "../../api/policy/validation/index.ts";
import type { Cluster } from "./generate.ts";
import type { HttpCall } from "./http-load.ts";
import { appPolicy, policyContext } from "./policy-mix.ts";
import { createRng } from "./prng.ts";

/** The seeding requests: every namespace, then every endpoint, as PUTs with their JSON bodies. */
export function seedCalls(cluster: Cluster): { namespaces: HttpCall[]; endpoints: HttpCall[] } {
  const namespaces = cluster.namespaces.map((n): HttpCall => {
    const { "kubernetes.io/metadata.name": _, ...labels } = n.labels;
    return { method: "PUT", path: `/v1/namespaces/${n.name}`, body: JSON.stringify({ labels }) };
  });
  const endpoints = cluster.endpoints.map(
    ({ namespace, name, ...body }): HttpCall => ({
      method: "PUT",
      path: `/v1/namespaces/${namespace}/endpoints/${name}`,
      body: JSON.stringify(body),
    }),
  );
  return { namespaces, endpoints };
}

/** A policy changed the way an operator would: the first rule's ports replaced, or an annotation. */
function updatedPolicy(object: Record<string, unknown>, i: number): Record<string, unknown> {
  const copy = structuredClone(object) as {
    metadata: { annotations?: Record<string, string> };
    spec: { ingress?: { ports?: unknown[] }[]; egress?: { ports?: unknown[] }[] };
  };
  const rule = copy.spec.ingress?.[0] ?? copy.spec.egress?.[0];
  if (rule) rule.ports = [{ protocol: "TCP", port: 8000 + (i % 1000) }];
  else copy.metadata.annotations = { "bench.palisade.dev/write": String(i) };
  return copy;
}

/** `writes` policy PUTs alternating create (a new per-application policy) and update (one already created). */
export function writeCalls(cluster: Cluster, writes: number, seed: number): HttpCall[] {
  const ctx = policyContext(createRng(seed + 1), cluster.namespaces, cluster.deployments, cluster.blocks);
  const pick = createRng(seed + 2);
  const created: Record<string, unknown>[] = [];
  const calls: HttpCall[] = [];
  for (let i = 0; i < writes; i++) {
    const create = i % 2 === 0 || created.length === 0;
    const object = create
      ? renderNetworkPolicy(appPolicy(ctx))
      : updatedPolicy(created[pick.int(0, created.length - 1)]!, i);
    if (create) created.push(object);
    const { name, namespace } = object.metadata as { name: string; namespace: string };
    calls.push({
      method: "PUT",
      path: `/v1/namespaces/${namespace}/networkpolicies/${name}`,
      body: JSON.stringify(object),
      tag: create ? "create" : "update",
    });
  }
  return calls;
}
