// Owns the benchmark cluster: a deterministic, realistic set of namespaces, deployments, endpoints
// and policies (sizes scale with one factor), and the engine changes that load it.
import type { Change } from "../../api/policy/compiler/object-change.ts";
import { ns } from "../../api/policy/compiler/testing.ts";
import type { Endpoint, EndpointPort, IPBlock, Namespace, NetworkPolicy } from "../../api/policy/model.ts";
import { externalBlockPool } from "./ip-blocks.ts";
import { generatePolicies, policyContext } from "./policy-mix.ts";
import { createRng, type Rng } from "./prng.ts";
import { type AppTemplate, appTemplates, deploymentPorts, TEAMS } from "./workloads.ts";

export interface ClusterParams {
  seed: number;
  namespaces: number;
  endpoints: number;
  nodes: number;
  policies: number;
  /** Mean deployments per namespace (each namespace gets this +-2). */
  appsPerNamespace: number;
}

/** The cluster the targets are stated for. */
export const FULL_CLUSTER: Readonly<ClusterParams> = {
  seed: 1,
  namespaces: 100,
  endpoints: 10_000,
  nodes: 100,
  policies: 1_000,
  appsPerNamespace: 10,
};

/** The full cluster with every count multiplied by `scale` (at least one of each). */
export function scaledParams(scale: number, seed = FULL_CLUSTER.seed): ClusterParams {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`scale must be > 0, got ${scale}`);
  const n = (v: number) => Math.max(1, Math.round(v * scale));
  return {
    seed,
    namespaces: Math.max(2, n(FULL_CLUSTER.namespaces)),
    endpoints: n(FULL_CLUSTER.endpoints),
    nodes: n(FULL_CLUSTER.nodes),
    policies: n(FULL_CLUSTER.policies),
    appsPerNamespace: FULL_CLUSTER.appsPerNamespace,
  };
}

/** One deployment: the pods of one version share every label, so they share one identity. */
export interface Deployment {
  namespace: string;
  app: string;
  tier: string;
  /** Extra labels every pod carries (e.g. k8s-app for coredns). */
  labels: Record<string, string>;
  /** [version, pod-template-hash] pairs; two during a rollout. */
  versions: [string, string][];
  ports: EndpointPort[];
  /** Relative replica count. */
  weight: number;
}

export interface Cluster {
  params: ClusterParams;
  namespaces: Namespace[];
  deployments: Deployment[];
  endpoints: Endpoint[];
  policies: NetworkPolicy[];
  /** External CIDRs the ipBlock peers draw from. */
  blocks: IPBlock[];
  nodes: string[];
  addresses: PodAddresses;
}

/** Hands out pod addresses (a /20 of 10.0.0.0/8 per node) and host-side interface names. */
export class PodAddresses {
  private readonly used: number[];

  constructor(
    readonly nodeCount: number,
    used?: number[],
  ) {
    if (nodeCount > 4094) throw new RangeError(`nodes must be <= 4094 (one /20 each), got ${nodeCount}`);
    this.used = used ? [...used] : new Array<number>(nodeCount).fill(0);
  }

  /** An independent copy that continues where this one stands. */
  clone(): PodAddresses {
    return new PodAddresses(this.nodeCount, this.used);
  }

  next(node: number): { ip: string; iface: string } {
    const n = ++this.used[node]!;
    if (n > 4093) throw new RangeError(`node ${node} must hold <= 4093 pods, got ${n}`);
    const addr = (10 << 24) + (node + 1) * 4096 + n;
    const ip = [addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255].join(".");
    return { ip, iface: `lxc${n.toString(16).padStart(8, "0")}` };
  }
}

export function generateCluster(params: ClusterParams): Cluster {
  const rng = createRng(params.seed);
  const namespaces = generateNamespaces(rng, params.namespaces);
  const deployments = namespaces.flatMap((n, i) => generateDeployments(rng, n.name, i, params));
  const nodes = Array.from({ length: params.nodes }, (_, i) => `node-${String(i).padStart(3, "0")}`);
  const addresses = new PodAddresses(params.nodes);
  const pickDeployment = weightedPicker(
    rng,
    deployments,
    deployments.map((d) => d.weight),
  );
  const endpoints = Array.from({ length: params.endpoints }, () =>
    makeEndpoint(rng, pickDeployment(), nodes, addresses),
  );
  const blocks = externalBlockPool(rng, 16);
  const policies = generatePolicies(policyContext(rng, namespaces, deployments, blocks), params.policies);
  return { params, namespaces, deployments, endpoints, policies, blocks, nodes, addresses };
}

/** A new pod of `d` on a random node (as a scale-up would create it). */
export function makeEndpoint(rng: Rng, d: Deployment, nodes: string[], addresses: PodAddresses): Endpoint {
  const [version, hash] = d.versions.length > 1 && rng.chance(0.3) ? d.versions[1]! : d.versions[0]!;
  const node = rng.int(0, nodes.length - 1);
  const { ip, iface } = addresses.next(node);
  return {
    namespace: d.namespace,
    name: `${d.app}-${hash}-${rng.token(5)}`,
    labels: { app: d.app, tier: d.tier, version, "pod-template-hash": hash, ...d.labels },
    node: nodes[node]!,
    interface: iface,
    ips: [ip],
    ports: d.ports,
  };
}

/** Everything in one batch, in dependency order; store ids count from 1 per kind. */
export function loadChanges(c: Pick<Cluster, "namespaces" | "endpoints" | "policies">): Change[] {
  return [
    ...c.namespaces.map((value): Change => ({ kind: "namespace", op: "upsert", value })),
    ...c.endpoints.map((value, i): Change => ({ kind: "endpoint", op: "upsert", id: i + 1, value })),
    ...c.policies.map((value, i): Change => ({ kind: "policy", op: "upsert", id: i + 1, value })),
  ];
}

const ENVS = ["prod", "prod", "staging", "staging", "dev"] as const;

function generateNamespaces(rng: Rng, count: number): Namespace[] {
  const out = [
    ns("kube-system", { team: "platform", env: "prod" }),
    ns("monitoring", { team: "observability", env: "prod" }),
  ];
  for (let i = 2; i < count; i++) {
    const team = rng.pick(TEAMS);
    const env = rng.pick(ENVS);
    const labels: Record<string, string> = { team, env };
    if (rng.chance(0.15)) labels.compliance = "pci";
    out.push(ns(`${team}-${env}-${String(i).padStart(3, "0")}`, labels));
  }
  return out.slice(0, count);
}

function generateDeployments(rng: Rng, namespace: string, index: number, p: ClusterParams): Deployment[] {
  const count = Math.max(1, p.appsPerNamespace + rng.int(-2, 2));
  const pinned: AppTemplate[] = [];
  if (index === 0) pinned.push(appTemplates.coredns);
  if (index === 1) pinned.push(appTemplates.prometheus);
  const apps = [...pinned, ...rng.sample(appTemplates.catalog, count - pinned.length)];
  return apps.map((t) => {
    const versions: [string, string][] = [[`v${rng.int(1, 9)}`, rng.token(10)]];
    if (rng.chance(0.3)) versions.push([`v${rng.int(10, 19)}`, rng.token(10)]);
    return {
      namespace,
      app: t.name,
      tier: t.tier,
      labels: t.labels ?? {},
      versions,
      ports: deploymentPorts(rng, t),
      // Heavy-tailed replica counts: most deployments small, a few large.
      weight: Math.min(20, 1 / (0.05 + rng.next())),
    };
  });
}

function weightedPicker<T>(rng: Rng, items: T[], weights: number[]): () => T {
  const cumulative: number[] = [];
  let total = 0;
  for (const w of weights) {
    total += w;
    cumulative.push(total);
  }
  return () => {
    const r = rng.next() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > r) hi = mid;
      else lo = mid + 1;
    }
    return items[lo]!;
  };
}
