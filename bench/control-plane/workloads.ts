// Owns the vocabulary of the benchmark cluster: teams, application templates by tier, and the
// container ports (named and unnamed) their pods declare.
import type { EndpointPort } from "../../api/policy/model.ts";
import type { Rng } from "./prng.ts";

export const TEAMS = [
  "payments",
  "identity",
  "search",
  "catalog",
  "checkout",
  "growth",
  "data",
  "ml",
  "mobile",
  "ads",
  "support",
  "platform",
] as const;

export type Tier = "frontend" | "backend" | "worker" | "cache" | "db";

export interface AppTemplate {
  name: string;
  tier: Tier;
  labels?: Record<string, string>;
  /** Fixed ports (system apps); otherwise drawn from the tier. */
  ports?: EndpointPort[];
}

const tcp = (name: string, port: number): EndpointPort => ({ name, port, protocol: "TCP" });

const catalog: AppTemplate[] = [
  ...["web", "gateway", "storefront", "admin-ui"].map((name) => ({ name, tier: "frontend" as const })),
  ...[
    "api",
    "auth",
    "cart",
    "checkout",
    "search",
    "catalog",
    "orders",
    "payments",
    "billing",
    "inventory",
    "shipping",
    "notifications",
    "users",
    "reports",
    "pricing",
    "recommendations",
  ].map((name) => ({ name, tier: "backend" as const })),
  ...["worker", "scheduler", "indexer", "mailer"].map((name) => ({ name, tier: "worker" as const })),
  ...["redis", "memcached"].map((name) => ({ name, tier: "cache" as const })),
  ...["postgres", "mysql"].map((name) => ({ name, tier: "db" as const })),
];

export const appTemplates = {
  catalog,
  coredns: {
    name: "coredns",
    tier: "backend",
    labels: { "k8s-app": "kube-dns" },
    ports: [{ name: "dns", port: 53, protocol: "UDP" }, tcp("dns-tcp", 53), tcp("metrics", 9153)],
  } satisfies AppTemplate,
  prometheus: { name: "prometheus", tier: "backend", ports: [tcp("web", 9090)] } satisfies AppTemplate,
};

/** The ports a deployment's pods declare: mostly named by role, some unnamed, some none. */
export function deploymentPorts(rng: Rng, t: AppTemplate): EndpointPort[] {
  if (t.ports) return t.ports;
  if (rng.chance(0.1)) return [];
  const ports = tierPorts(rng, t);
  return rng.chance(0.15) ? ports.map((p) => ({ ...p, name: "" })) : ports;
}

function tierPorts(rng: Rng, t: AppTemplate): EndpointPort[] {
  switch (t.tier) {
    case "frontend":
      return [tcp("http", rng.chance(0.3) ? 80 : 8080), tcp("metrics", 9090)];
    case "backend":
      return [
        tcp("http", rng.pick([8000, 8080, 8080])),
        ...(rng.chance(0.5) ? [tcp("grpc", 9000)] : []),
        tcp("metrics", 9090),
      ];
    case "worker":
      return rng.chance(0.6) ? [tcp("metrics", 9090)] : [];
    case "cache":
      return t.name === "redis"
        ? [tcp("redis", 6379), ...(rng.chance(0.5) ? [tcp("metrics", 9121)] : [])]
        : [tcp("memcache", 11211)];
    case "db":
      return t.name === "postgres"
        ? [tcp("postgres", 5432), tcp("metrics", 9187)]
        : [tcp("mysql", 3306), tcp("metrics", 9104)];
  }
}

/** The port number clients use for a deployment (its first port, or a conventional default). */
export function servicePort(ports: EndpointPort[]): number {
  return ports[0]?.port ?? 8080;
}
