// Conformance cases on isolation: no policy, default deny and allow-all, policyTypes defaults, egress rules, and both sides of a connection.
// Expectations follow the Kubernetes NetworkPolicy documentation, not what the system does.
import assert from "node:assert/strict";
import { type ConformanceCase, nsIs, podIs } from "./case.ts";

export const ISOLATION_CASES: ConformanceCase[] = [
  {
    name: "with no policy every pod reaches every other pod on TCP and UDP",
    multiNode: true,
    async run(t) {
      const all = t.reach(true);
      await t.check(["tcp", 80, all], ["tcp", 81, all], ["udp", 80, all], ["udp", 81, all]);
    },
  },
  {
    name: "default-deny-ingress blocks every connection into the namespace's pods, TCP and UDP",
    multiNode: true,
    async run(t) {
      await t.policy("x", "deny-ingress", { podSelector: {}, policyTypes: ["Ingress"] });
      const r = t.reach(true).expectIngress("x", false);
      await t.check(["tcp", 80, r], ["udp", 80, r]);
    },
  },
  {
    name: "default-deny-egress blocks every connection out of the namespace's pods, TCP and UDP",
    async run(t) {
      await t.policy("x", "deny-egress", { podSelector: {}, policyTypes: ["Egress"] });
      const r = t.reach(true).expectEgress("x", false);
      await t.check(["tcp", 80, r], ["udp", 81, r]);
    },
  },
  {
    name: "default-deny-all blocks ingress and egress of the namespace's pods",
    multiNode: true,
    async run(t) {
      await t.policy("x", "deny-all", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
      await t.check(["tcp", 80, t.reach(true).expectIngress("x", false).expectEgress("x", false)]);
    },
  },
  {
    name: "an allow-all ingress policy beside a default deny allows everything (policies are additive)",
    async run(t) {
      await t.policy("x", "deny-ingress", { podSelector: {}, policyTypes: ["Ingress"] });
      await t.policy("x", "allow-all", { podSelector: {}, ingress: [{}] });
      await t.check(["tcp", 80, t.reach(true)], ["udp", 81, t.reach(true)]);
    },
  },
  {
    name: "an allow-all egress policy beside a default deny egress allows everything",
    async run(t) {
      await t.policy("x", "deny-egress", { podSelector: {}, policyTypes: ["Egress"] });
      await t.policy("x", "allow-all-egress", { podSelector: {}, policyTypes: ["Egress"], egress: [{}] });
      await t.check(["tcp", 80, t.reach(true)], ["udp", 80, t.reach(true)]);
    },
  },
  {
    name: "a policy in one namespace selects only pods of that namespace",
    async run(t) {
      await t.policy("y", "deny-a", { podSelector: podIs("a"), policyTypes: ["Ingress"] });
      await t.check(["tcp", 80, t.reach(true).expectIngress("y/a", false)]);
    },
  },
  {
    name: "an egress rule to a namespace allows connections to it and isolates the rest of the pod's egress",
    multiNode: true,
    async run(t) {
      await t.policy("x", "to-y", {
        podSelector: podIs("a"),
        policyTypes: ["Egress"],
        egress: [{ to: [{ namespaceSelector: nsIs("y") }] }],
      });
      const r = t.reach(true).expectEgress("x/a", false).expect("x/a", "y", true);
      await t.check(["tcp", 80, r], ["udp", 81, r]);
    },
  },
  {
    name: "a connection needs both the source's egress and the destination's ingress to allow it",
    multiNode: true,
    async run(t) {
      await t.policy("x", "a-egress-all", { podSelector: podIs("a"), policyTypes: ["Egress"], egress: [{}] });
      await t.policy("y", "b-deny", { podSelector: podIs("b"), policyTypes: ["Ingress"] });
      await t.policy("z", "egress-to-x-a", {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [{ to: [{ namespaceSelector: nsIs("x"), podSelector: podIs("a") }] }],
      });
      await t.policy("x", "a-from-x", {
        podSelector: podIs("a"),
        ingress: [{ from: [{ podSelector: {} }] }],
      });
      const r = t
        .reach(true)
        .expectIngress("y/b", false)
        .expectEgress("z", false)
        .expectIngress("x/a", false)
        .expect("x", "x/a", true);
      await t.check(["tcp", 80, r]);
    },
  },
  {
    name: "an egress-only policy without policyTypes still isolates ingress",
    multiNode: true,
    async run(t) {
      await t.policy("x", "egress-only", {
        podSelector: podIs("a"),
        egress: [{ to: [{ namespaceSelector: nsIs("y") }] }],
      });
      const r = t.reach(true).expectIngress("x/a", false).expectEgress("x/a", false).expect("x/a", "y", true);
      await t.check(["tcp", 80, r]);
    },
  },
  {
    name: "an ingress-only policy without policyTypes leaves egress open",
    async run(t) {
      await t.policy("x", "ingress-only", {
        podSelector: podIs("a"),
        ingress: [{ from: [{ podSelector: podIs("b") }] }],
      });
      await t.check(["tcp", 80, t.reach(true).expectIngress("x/a", false).expect("x/b", "x/a", true)]);
    },
  },
  {
    name: "policyTypes Egress alone leaves ingress open",
    async run(t) {
      await t.policy("x", "egress-type", {
        podSelector: podIs("a"),
        policyTypes: ["Egress"],
        ingress: [{ from: [{ podSelector: podIs("b") }] }],
      });
      await t.check(["tcp", 80, t.reach(true).expectEgress("x/a", false)]);
    },
  },
  {
    name: "an empty from list and an empty ports list match every source and every port",
    async run(t) {
      await t.policy("x", "deny-ingress", { podSelector: {}, policyTypes: ["Ingress"] });
      await t.policy("x", "empty-lists", { podSelector: podIs("a"), ingress: [{ from: [], ports: [] }] });
      const r = t.reach(true).expectIngress("x/b", false).expectIngress("x/c", false);
      await t.check(["tcp", 80, r], ["udp", 81, r]);
    },
  },
  {
    name: "an empty to list on egress matches every destination",
    async run(t) {
      await t.policy("x", "deny-egress", { podSelector: {}, policyTypes: ["Egress"] });
      await t.policy("x", "empty-to", {
        podSelector: podIs("a"),
        policyTypes: ["Egress"],
        egress: [{ to: [] }],
      });
      const r = t.reach(true).expectEgress("x/b", false).expectEgress("x/c", false);
      await t.check(["tcp", 81, r]);
    },
  },
  {
    name: "traffic from the node itself still reaches pods isolated for ingress (identity host, docs/architecture.md section 5)",
    multiNode: true,
    async run(t) {
      await t.policy("x", "deny-ingress", { podSelector: {}, policyTypes: ["Ingress"] });
      await t.check(["tcp", 80, t.reach(true).expectIngress("x", false)]);
      const host = t.cluster.topo.hostProber;
      const results = await Promise.all(
        ["x/a", "x/b", "x/c"].flatMap((key) => [
          host.probe("tcp", t.ip(key), 80),
          host.probe("udp", t.ip(key), 81),
        ]),
      );
      assert.deepEqual(
        results.map((r) => r.ok),
        [true, true, true, true, true, true],
        "node -> x/a, x/b, x/c on TCP 80 and UDP 81",
      );
    },
  },
];
