// Owns the benchmark's policy mix: per-namespace defaults (default-deny, DNS egress, same-namespace
// allow) and per-application policies drawn by weight from the kinds real clusters hold.
import { policy, rule, sel } from "../../api/policy/compiler/testing.ts";
import type {
  IPBlock,
  LabelSelectorRequirement,
  Namespace,
  NetworkPolicy,
  PolicyPeer,
  PolicyPort,
} from "../../api/policy/model.ts";
import type { Deployment } from "./generate.ts";
import { INTERNET_BLOCKS } from "./ip-blocks.ts";
import type { Rng } from "./prng.ts";
import { servicePort } from "./workloads.ts";

export interface PolicyContext {
  rng: Rng;
  namespaces: Namespace[];
  deploymentsByNamespace: Map<string, Deployment[]>;
  blocks: IPBlock[];
  /** Makes policy names unique. */
  sequence: number;
}

export function policyContext(
  rng: Rng,
  namespaces: Namespace[],
  deployments: Deployment[],
  blocks: IPBlock[],
): PolicyContext {
  const deploymentsByNamespace = new Map<string, Deployment[]>();
  for (const d of deployments) {
    deploymentsByNamespace.set(d.namespace, [...(deploymentsByNamespace.get(d.namespace) ?? []), d]);
  }
  return { rng, namespaces, deploymentsByNamespace, blocks, sequence: 0 };
}

/** `count` policies: namespace defaults first, the rest per application. */
export function generatePolicies(ctx: PolicyContext, count: number): NetworkPolicy[] {
  const out = ctx.namespaces.flatMap((n) => namespaceDefaults(ctx, n.name)).slice(0, count);
  while (out.length < count) out.push(appPolicy(ctx));
  return out;
}

/** One per-application policy in a random namespace. */
export function appPolicy(ctx: PolicyContext): NetworkPolicy {
  const { rng } = ctx;
  const namespace = rng.pick(ctx.namespaces).name;
  const target = rng.pick(ctx.deploymentsByNamespace.get(namespace)!);
  let r = rng.next() * TOTAL_WEIGHT;
  for (const [weight, kind, build] of APP_KINDS) {
    r -= weight;
    if (r < 0) return build(ctx, target, `${kind}-${target.app}-${++ctx.sequence}`);
  }
  throw new Error("unreachable: the weights cover [0, TOTAL_WEIGHT)");
}

const METADATA_NAME = "kubernetes.io/metadata.name";
const tcp = (port: number | string, endPort?: number): PolicyPort =>
  endPort === undefined ? { protocol: "TCP", port } : { protocol: "TCP", port, endPort };
const expr = (key: string, operator: LabelSelectorRequirement["operator"], values: string[] = []) => ({
  key,
  operator,
  values,
});

function namespaceDefaults(ctx: PolicyContext, namespace: string): NetworkPolicy[] {
  const { rng } = ctx;
  if (namespace === "kube-system") return [];
  const out: NetworkPolicy[] = [];
  if (rng.chance(0.7)) out.push(policy(namespace, "default-deny-ingress", { policyTypes: ["Ingress"] }));
  if (rng.chance(0.15)) {
    out.push(policy(namespace, "default-deny-egress", { policyTypes: ["Egress"] }));
    const dns = {
      namespaceSelector: sel({ [METADATA_NAME]: "kube-system" }),
      podSelector: sel({ "k8s-app": "kube-dns" }),
    };
    const ports: PolicyPort[] = [
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ];
    out.push(policy(namespace, "allow-dns", { policyTypes: ["Egress"], egress: [rule([dns], ports)] }));
  }
  if (rng.chance(0.2)) {
    out.push(policy(namespace, "allow-same-namespace", { ingress: [rule([{ podSelector: sel() }])] }));
  }
  return out;
}

type Build = (ctx: PolicyContext, target: Deployment, name: string) => NetworkPolicy;

const APP_KINDS: [weight: number, kind: string, build: Build][] = [
  [28, "from-app", (ctx, t, name) => ingressFrom(t, name, [appPeer(sameNamespacePeer(ctx, t))])],
  [14, "from-ns", (ctx, t, name) => ingressFrom(t, name, [crossNamespacePeer(ctx)])],
  [12, "expr", (ctx, t, name) => expressionPolicy(ctx, t, name)],
  [14, "named", (ctx, t, name) => namedIngress(ctx, t, name)],
  [6, "range", (ctx, t, name) => rangePolicy(ctx, t, name)],
  [8, "from-cidr", (ctx, t, name) => ingressFrom(t, name, blockPeers(ctx), [tcp(443), tcp(8080)])],
  [6, "to-cidr", (ctx, t, name) => egressTo(t, name, blockPeers(ctx), [tcp(ctx.rng.pick([443, 5432]))])],
  [3, "to-internet", (ctx, t, name) => egressTo(t, name, internetPeer(ctx), [tcp(443), tcp(80)])],
  [4, "to-named", (ctx, t, name) => egressTo(t, name, [appPeer(sameNamespacePeer(ctx, t))], [tcp("http")])],
  [5, "three-tier", (_ctx, t, name) => threeTier(t, name)],
];
const TOTAL_WEIGHT = APP_KINDS.reduce((sum, [w]) => sum + w, 0);

function ingressFrom(t: Deployment, name: string, peers: PolicyPeer[], ports?: PolicyPort[]): NetworkPolicy {
  return policy(t.namespace, name, {
    podSelector: sel({ app: t.app }),
    ingress: [rule(peers, ports ?? [tcp(servicePort(t.ports))])],
  });
}

function egressTo(t: Deployment, name: string, peers: PolicyPeer[], ports: PolicyPort[]): NetworkPolicy {
  return policy(t.namespace, name, {
    podSelector: sel({ app: t.app }),
    policyTypes: ["Egress"],
    egress: [rule(peers, ports)],
  });
}

function sameNamespacePeer(ctx: PolicyContext, t: Deployment): Deployment {
  return ctx.rng.pick(ctx.deploymentsByNamespace.get(t.namespace)!);
}

function appPeer(d: Deployment): PolicyPeer {
  return { podSelector: sel({ app: d.app }) };
}

function crossNamespacePeer(ctx: PolicyContext): PolicyPeer {
  const other = ctx.rng.pick(ctx.namespaces);
  const d = ctx.rng.pick(ctx.deploymentsByNamespace.get(other.name)!);
  const namespaceSelector = ctx.rng.chance(0.5)
    ? sel({ team: other.labels.team ?? "platform" })
    : sel({ [METADATA_NAME]: other.name });
  return { namespaceSelector, podSelector: sel({ app: d.app }) };
}

function expressionPolicy(ctx: PolicyContext, t: Deployment, name: string): NetworkPolicy {
  const { rng } = ctx;
  const others = ctx.deploymentsByNamespace.get(t.namespace)!.map((d) => d.app);
  const peers: PolicyPeer[][] = [
    [
      {
        namespaceSelector: sel({}, [expr("env", "In", ["prod", "staging"])]),
        podSelector: sel({}, [expr("tier", "In", ["frontend", "backend"]), expr("version", "NotIn", ["v1"])]),
      },
    ],
    [{ namespaceSelector: sel({}, [expr("compliance", "Exists")]) }],
    [{ podSelector: sel({}, [expr("app", "In", rng.sample(others, 2))]) }],
    [
      {
        namespaceSelector: sel({ team: rng.pick(ctx.namespaces).labels.team ?? "platform" }),
        podSelector: sel({}, [expr("tier", "NotIn", ["db", "cache"])]),
      },
    ],
  ];
  const podSelector = rng.chance(0.5) ? sel({ app: t.app }) : sel({}, [expr("tier", "In", [t.tier])]);
  return policy(t.namespace, name, {
    podSelector,
    ingress: [rule(rng.pick(peers), [tcp(servicePort(t.ports))])],
  });
}

function namedIngress(ctx: PolicyContext, t: Deployment, name: string): NetworkPolicy {
  if (ctx.rng.chance(0.5)) {
    const prometheus = {
      namespaceSelector: sel({ [METADATA_NAME]: "monitoring" }),
      podSelector: sel({ app: "prometheus" }),
    };
    const podSelector = ctx.rng.chance(0.5) ? sel() : sel({ app: t.app });
    return policy(t.namespace, name, { podSelector, ingress: [rule([prometheus], [tcp("metrics")])] });
  }
  const port = ctx.rng.chance(0.8) ? "http" : "grpc";
  return ingressFrom(t, name, [appPeer(sameNamespacePeer(ctx, t))], [tcp(port)]);
}

function rangePolicy(ctx: PolicyContext, t: Deployment, name: string): NetworkPolicy {
  const ports = ctx.rng.pick<PolicyPort[]>([
    [tcp(8000, 8099)],
    [{ protocol: "UDP", port: 30000, endPort: 32767 }],
    [tcp(9000, 9100), tcp(443)],
  ]);
  return ingressFrom(t, name, [{ podSelector: sel({ tier: "frontend" }) }], ports);
}

function threeTier(t: Deployment, name: string): NetworkPolicy {
  return policy(t.namespace, name, {
    podSelector: sel({ app: t.app }),
    policyTypes: ["Ingress", "Egress"],
    ingress: [rule([{ podSelector: sel({ tier: "frontend" }) }], [tcp(servicePort(t.ports))])],
    egress: [rule([{ podSelector: sel({ tier: "db" }) }], [tcp(5432), tcp(3306)])],
  });
}

function blockPeers(ctx: PolicyContext): PolicyPeer[] {
  return ctx.rng.sample(ctx.blocks, ctx.rng.int(1, 2)).map((ipBlock) => ({ ipBlock }));
}

function internetPeer(ctx: PolicyContext): PolicyPeer[] {
  return [{ ipBlock: ctx.rng.pick(INTERNET_BLOCKS) }];
}
