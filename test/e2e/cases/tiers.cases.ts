// ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2) cases on real traffic. Expectations
// follow the network-policy-api documentation (tiers, priority, rule order, Pass, Baseline only
// where no NetworkPolicy isolates), never what the system does. Topology as in case.ts: namespaces
// x, y, z (ns=<name>), pods a, b, c (pod=<name>), TCP and UDP 80 and 81 (serve-<port>-<proto>).
import { type ConformanceCase, nsIs, podIs } from "./case.ts";

const inNs = (ns: string) => ({ namespaces: nsIs(ns) });
const everyNs = { namespaces: {} };
const podsOf = (ns: string, pod: string) => ({
  pods: { namespaceSelector: nsIs(ns), podSelector: podIs(pod) },
});
const tcp = (number: number) => ({ tcp: { destinationPort: { number } } });

export const TIER_CASES: ConformanceCase[] = [
  {
    name: "an Admin Deny wins over a NetworkPolicy that allows",
    multiNode: true,
    async run(t) {
      await t.policy("x", "allow-y", {
        podSelector: podIs("a"),
        ingress: [{ from: [{ namespaceSelector: nsIs("y") }] }],
      });
      await t.clusterPolicy("deny-y-to-xa", {
        tier: "Admin",
        priority: 10,
        subject: podsOf("x", "a"),
        ingress: [{ name: "no-y", action: "Deny", from: [inNs("y")] }],
      });
      const closed = t.reach(true).expectIngress("x/a", false);
      await t.check(["tcp", 80, closed], ["udp", 81, closed]);
    },
  },
  {
    name: "an Admin Accept wins over NetworkPolicy isolation",
    multiNode: true,
    async run(t) {
      await t.policy("x", "deny-all", { podSelector: {}, policyTypes: ["Ingress"] });
      await t.clusterPolicy("accept-y", {
        tier: "Admin",
        priority: 10,
        subject: inNs("x"),
        ingress: [{ action: "Accept", from: [inNs("y")] }],
      });
      await t.check(["tcp", 80, t.reach(true).expectIngress("x", false).expect("y", "x", true)]);
    },
  },
  {
    name: "lower priority values come first; equal priorities both apply where they do not overlap",
    async run(t) {
      await t.clusterPolicy("deny-all-to-xa", {
        tier: "Admin",
        priority: 20,
        subject: podsOf("x", "a"),
        ingress: [{ action: "Deny", from: [everyNs] }],
      });
      await t.clusterPolicy("accept-z-80", {
        tier: "Admin",
        priority: 10,
        subject: podsOf("x", "a"),
        ingress: [{ action: "Accept", from: [inNs("z")], protocols: [tcp(80)] }],
      });
      await t.clusterPolicy("deny-y-to-yb-80", {
        tier: "Admin",
        priority: 30,
        subject: podsOf("y", "b"),
        ingress: [{ action: "Deny", from: [inNs("z")], protocols: [tcp(80)] }],
      });
      await t.clusterPolicy("deny-y-to-yb-81", {
        tier: "Admin",
        priority: 30,
        subject: podsOf("y", "b"),
        ingress: [{ action: "Deny", from: [inNs("x")], protocols: [tcp(81)] }],
      });
      await t.check(
        [
          "tcp",
          80,
          t.reach(true).expectIngress("x/a", false).expect("z", "x/a", true).expect("z", "y/b", false),
        ],
        ["tcp", 81, t.reach(true).expectIngress("x/a", false).expect("x", "y/b", false)],
      );
    },
  },
  {
    name: "within a policy the first matching rule wins",
    async run(t) {
      await t.clusterPolicy("ordered", {
        tier: "Admin",
        priority: 1,
        subject: podsOf("x", "a"),
        ingress: [
          { name: "y-80", action: "Accept", from: [inNs("y")], protocols: [tcp(80)] },
          { name: "rest", action: "Deny", from: [everyNs] },
          { name: "never", action: "Accept", from: [everyNs] },
        ],
      });
      await t.check(
        ["tcp", 80, t.reach(true).expectIngress("x/a", false).expect("y", "x/a", true)],
        ["udp", 80, t.reach(true).expectIngress("x/a", false)],
      );
    },
  },
  {
    name: "Pass hands the decision to NetworkPolicy",
    multiNode: true,
    async run(t) {
      await t.clusterPolicy("pass-y", {
        tier: "Admin",
        priority: 5,
        subject: inNs("x"),
        ingress: [{ action: "Pass", from: [inNs("y")] }],
      });
      await t.clusterPolicy("deny-rest", {
        tier: "Admin",
        priority: 10,
        subject: inNs("x"),
        ingress: [{ action: "Deny", from: [everyNs] }],
      });
      await t.policy("x", "y-80-only", {
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: nsIs("y") }], ports: [{ port: 80 }] }],
      });
      await t.check(
        ["tcp", 80, t.reach(true).expectIngress("x", false).expect("y", "x", true)],
        ["tcp", 81, t.reach(true).expectIngress("x", false)],
      );
    },
  },
  {
    name: "Baseline applies only where no NetworkPolicy isolates the pod",
    multiNode: true,
    async run(t) {
      await t.clusterPolicy("baseline-deny", {
        tier: "Baseline",
        priority: 1,
        subject: inNs("x"),
        ingress: [{ action: "Deny", from: [everyNs] }],
      });
      await t.policy("x", "a-from-z", {
        podSelector: podIs("a"),
        ingress: [{ from: [{ namespaceSelector: nsIs("z") }] }],
      });
      await t.check(["tcp", 80, t.reach(true).expectIngress("x", false).expect("z", "x/a", true)]);
    },
  },
  {
    name: "egress to networks: pod addresses are matched by CIDR too, on TCP and UDP",
    async run(t) {
      await t.clusterPolicy("no-yb", {
        tier: "Admin",
        priority: 1,
        subject: podsOf("x", "a"),
        egress: [{ action: "Deny", to: [{ networks: [`${t.ip("y/b")}/32`] }] }],
      });
      const closed = t.reach(true).expect("x/a", "y/b", false);
      await t.check(["tcp", 80, closed], ["udp", 81, closed]);
    },
  },
  {
    name: "port ranges and named ports",
    async run(t) {
      await t.clusterPolicy("ports", {
        tier: "Admin",
        priority: 1,
        subject: everyNs,
        ingress: [
          {
            action: "Deny",
            from: [everyNs],
            protocols: [{ tcp: { destinationPort: { range: { start: 79, end: 80 } } } }],
          },
          { action: "Deny", from: [everyNs], protocols: [{ destinationNamedPort: "serve-81-udp" }] },
        ],
      });
      await t.check(
        ["tcp", 80, t.reach(false)],
        ["tcp", 81, t.reach(true)],
        ["udp", 80, t.reach(true)],
        ["udp", 81, t.reach(false)],
      );
    },
  },
  {
    name: "subjects by namespace and by pod",
    async run(t) {
      await t.clusterPolicy("zb", {
        tier: "Admin",
        priority: 1,
        subject: podsOf("z", "b"),
        ingress: [{ action: "Deny", from: [everyNs] }],
      });
      await t.clusterPolicy("y-egress", {
        tier: "Admin",
        priority: 2,
        subject: inNs("y"),
        egress: [{ action: "Deny", to: [inNs("x")] }],
      });
      await t.check(["tcp", 80, t.reach(true).expectIngress("z/b", false).expect("y", "x", false)]);
    },
  },
  {
    name: "a cluster policy updated in place takes effect, and deleting it restores connectivity",
    multiNode: true,
    async run(t) {
      const spec = (action: string) => ({
        tier: "Admin",
        priority: 1,
        subject: podsOf("x", "a"),
        ingress: [{ action, from: [inNs("y")] }],
      });
      await t.policy("x", "deny-all", { podSelector: podIs("a"), policyTypes: ["Ingress"] });
      await t.clusterPolicy("moving", spec("Deny"));
      await t.check(["tcp", 80, t.reach(true).expectIngress("x/a", false)]);
      await t.clusterPolicy("moving", spec("Accept"));
      await t.check(["tcp", 80, t.reach(true).expectIngress("x/a", false).expect("y", "x/a", true)]);
      await t.cluster.deleteClusterPolicy("moving");
      await t.check(["udp", 80, t.reach(true).expectIngress("x/a", false)]);
    },
  },
];

const AUDIT = { "palisade.dev/mode": "audit" };

/** Audit mode end to end: recorded as audit with the policy's id (named by evaluate), then switched. */
export const AUDIT_CASES: ConformanceCase[] = [
  {
    name: "audit mode: what the audited policy would deny passes and is recorded; enforce drops it; audit again restores it",
    multiNode: true,
    async run(t) {
      const onlyY = {
        podSelector: podIs("a"),
        ingress: [{ from: [{ namespaceSelector: nsIs("y") }] }],
      };
      const npObject = (annotations?: Record<string, string>) => ({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: annotations
          ? { name: "only-y", namespace: "x", annotations }
          : { name: "only-y", namespace: "x" },
        spec: onlyY,
      });
      await t.cluster.applyPolicy("x", npObject(AUDIT));
      await t.clusterPolicy(
        "deny-z-to-xb",
        {
          tier: "Admin",
          priority: 1,
          subject: podsOf("x", "b"),
          ingress: [{ action: "Deny", from: [inNs("z")] }],
        },
        AUDIT,
      );
      await t.check(["tcp", 80, t.reach(true)], ["udp", 81, t.reach(true)]);
      // Each audited connection is reported by the destination's agent, named through evaluate.
      for (const [src, dst, name] of [
        ["z/a", "x/a", "only-y"],
        ["z/c", "x/b", "deny-z-to-xb"],
      ] as const) {
        const answer = await t.cluster.api.must("POST", "/v1/evaluate", {
          source: { ip: t.ip(src) },
          destination: { ip: t.ip(dst) },
          protocol: "TCP",
          port: 80,
        });
        if (answer.verdict !== "allow" || answer.enforcedVerdict !== "deny") {
          throw new Error(`evaluate ${src} -> ${dst}: ${JSON.stringify(answer)}`);
        }
        if (answer.ingress.reason !== "audit" || answer.ingress.policy?.name !== name) {
          throw new Error(`evaluate ${src} -> ${dst} names ${JSON.stringify(answer.ingress)}`);
        }
        const agent = t.cluster.agents.get(t.cluster.pod(dst).node)!;
        // The agent's drop log names the policy as flows do (agent/flows/service.ts policyText).
        const p = answer.ingress.policy;
        const named =
          p.kind === "ClusterNetworkPolicy"
            ? `ClusterNetworkPolicy ${p.name} rule ${p.ruleIndex}`
            : `NetworkPolicy ${p.namespace}/${p.name} rule ${p.ruleIndex}`;
        await agent.waitFor(
          (l) =>
            l.msg === "drop" &&
            l.verdict === "audit" &&
            l.reason === "AUDIT" &&
            String(l.src).startsWith(`${t.ip(src)}:`) &&
            String(l.dst).startsWith(`${t.ip(dst)}:`) &&
            l.policy === named,
        );
      }
      // Switching to enforce is one write each; back to audit restores the connections.
      await t.cluster.applyPolicy("x", npObject());
      await t.clusterPolicy("deny-z-to-xb", {
        tier: "Admin",
        priority: 1,
        subject: podsOf("x", "b"),
        ingress: [{ action: "Deny", from: [inNs("z")] }],
      });
      const enforced = t
        .reach(true)
        .expectIngress("x/a", false)
        .expect("y", "x/a", true)
        .expect("z", "x/b", false);
      await t.check(["tcp", 80, enforced]);
      await t.cluster.applyPolicy("x", npObject(AUDIT));
      await t.clusterPolicy(
        "deny-z-to-xb",
        {
          tier: "Admin",
          priority: 1,
          subject: podsOf("x", "b"),
          ingress: [{ action: "Deny", from: [inNs("z")] }],
        },
        AUDIT,
      );
      await t.check(["tcp", 80, t.reach(true)]);
    },
  },
];
