// Owns the benchmark's ClusterNetworkPolicies: what platform teams write (metadata-range egress
// denies, PCI namespace fences with a gateway exception, prod/dev separation, team isolation in
// the Baseline tier, Pass for kube-system, port-range and named-port rules), seeded.
import type {
  ClusterNetworkPolicy,
  ClusterPeer,
  ClusterRule,
  ClusterSubject,
  LabelSelector,
} from "../../api/policy/model.ts";
import type { Rng } from "./prng.ts";
import { TEAMS } from "./workloads.ts";

const sel = (matchLabels: Record<string, string> = {}): LabelSelector => ({
  matchLabels,
  matchExpressions: [],
});
const nsWith = (labels: Record<string, string>): ClusterSubject => ({ namespaces: sel(labels) });
const everywhere: ClusterPeer = { namespaces: sel() };
const ENVS = ["prod", "staging", "dev"];
const APPS = ["web", "api", "worker", "redis", "postgres", "gateway"];

type Template = (
  rng: Rng,
  i: number,
) => Pick<ClusterNetworkPolicy["spec"], "tier" | "subject" | "ingress" | "egress">;

const rule = (
  action: ClusterRule["action"],
  peers: ClusterPeer[],
  protocols: ClusterRule["protocols"] = [],
  name = "",
): ClusterRule => ({
  name,
  action,
  peers,
  protocols,
});

const TEMPLATES: Template[] = [
  // Deny egress to the metadata range (and a second internal range) everywhere.
  (rng) => ({
    tier: "Admin",
    subject: nsWith(rng.chance(0.5) ? {} : { env: rng.pick(ENVS) }),
    ingress: [],
    egress: [
      rule(
        "Deny",
        [{ networks: ["169.254.169.254/32", `100.${rng.int(64, 127)}.0.0/16`] }],
        [],
        "no-metadata",
      ),
    ],
  }),
  // PCI fence: the gateway on 443, then nobody else.
  (rng) => ({
    tier: "Admin",
    subject: nsWith({ compliance: "pci" }),
    ingress: [
      rule(
        "Accept",
        [
          {
            pods: { namespaceSelector: sel({ team: rng.pick(TEAMS) }), podSelector: sel({ app: "gateway" }) },
          },
        ],
        [{ protocol: "TCP", port: 443 }],
        "gateway",
      ),
      rule("Deny", [everywhere], [], "nobody-else"),
    ],
    egress: [],
  }),
  // dev never reaches prod.
  (rng) => ({
    tier: "Admin",
    subject: nsWith({ env: "prod", team: rng.pick(TEAMS) }),
    ingress: [rule("Deny", [{ namespaces: sel({ env: "dev" }) }])],
    egress: [],
  }),
  // kube-system and monitoring are handed to NetworkPolicy.
  () => ({
    tier: "Admin",
    subject: nsWith({ team: "platform" }),
    ingress: [
      rule(
        "Pass",
        [everywhere],
        [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
        ],
      ),
    ],
    egress: [],
  }),
  // Team isolation by default, overridable by NetworkPolicy.
  (rng) => {
    const team = rng.pick(TEAMS);
    return {
      tier: "Baseline",
      subject: nsWith({ team }),
      ingress: [rule("Accept", [{ namespaces: sel({ team }) }]), rule("Deny", [everywhere])],
      egress: [],
    };
  },
  // App-level fences with ranges and named ports.
  (rng) => ({
    tier: rng.chance(0.7) ? "Admin" : "Baseline",
    subject: {
      pods: { namespaceSelector: sel({ env: rng.pick(ENVS) }), podSelector: sel({ app: rng.pick(APPS) }) },
    },
    ingress: [
      rule(
        "Accept",
        [{ pods: { namespaceSelector: sel(), podSelector: sel({ app: rng.pick(APPS) }) } }],
        [{ namedPort: "http" }],
      ),
      rule("Deny", [everywhere], [{ protocol: "TCP", port: 8000, endPort: 8999 }]),
    ],
    egress: [
      rule("Deny", [{ networks: [`192.168.${rng.int(0, 255)}.0/24`] }], [{ protocol: "TCP", port: 22 }]),
    ],
  }),
];

/** `count` cluster policies, priorities spread over 0-1000 with some equal. */
export function generateClusterPolicies(rng: Rng, count: number): ClusterNetworkPolicy[] {
  const out: ClusterNetworkPolicy[] = [];
  for (let i = 0; i < count; i++) {
    const spec = rng.pick(TEMPLATES)(rng, i);
    out.push({
      name: `cnp-${String(i).padStart(4, "0")}`,
      labels: {},
      annotations: rng.chance(0.1) ? { "palisade.dev/mode": "audit" } : {},
      spec: { ...spec, priority: rng.int(0, 100) * 10 },
    });
  }
  return out;
}
