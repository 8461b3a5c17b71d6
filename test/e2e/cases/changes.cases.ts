// Conformance cases on changes while policies stand: several policies on one pod, a policy updated and deleted, pod and namespace labels changed.
// Expectations follow the Kubernetes NetworkPolicy documentation, not what the system does.
import { type ConformanceCase, nsIs, podIs } from "./case.ts";

export const CHANGES_CASES: ConformanceCase[] = [
  {
    name: "several policies on one pod allow the union of their rules",
    async run(t) {
      await t.policy("x", "from-b", {
        podSelector: podIs("a"),
        ingress: [{ from: [{ podSelector: podIs("b") }] }],
      });
      await t.policy("x", "from-z-81", {
        podSelector: podIs("a"),
        ingress: [{ from: [{ namespaceSelector: nsIs("z") }], ports: [{ port: 81 }] }],
      });
      await t.check(
        ["tcp", 80, t.reach(true).expectIngress("x/a", false).expect("x/b", "x/a", true)],
        [
          "tcp",
          81,
          t.reach(true).expectIngress("x/a", false).expect("x/b", "x/a", true).expect("z", "x/a", true),
        ],
      );
    },
  },
  {
    name: "a policy updated in place takes effect, and deleting it restores connectivity",
    multiNode: true,
    async run(t) {
      const spec = (ns: string) => ({
        podSelector: podIs("a"),
        ingress: [{ from: [{ namespaceSelector: nsIs(ns) }] }],
      });
      await t.policy("x", "moving", spec("y"));
      await t.check(["tcp", 80, t.reach(true).expectIngress("x/a", false).expect("y", "x/a", true)]);
      await t.policy("x", "moving", spec("z"));
      await t.check(["tcp", 80, t.reach(true).expectIngress("x/a", false).expect("z", "x/a", true)]);
      await t.cluster.deletePolicy("x", "moving");
      await t.check(["tcp", 80, t.reach(true)]);
    },
  },
  {
    name: "a pod whose labels change enters and leaves a peer's podSelector while the policy stands",
    async run(t) {
      await t.policy("x", "from-b", {
        podSelector: podIs("a"),
        ingress: [{ from: [{ podSelector: podIs("b") }] }],
      });
      await t.cluster.setPodLabels("x/c", { pod: "b" });
      await t.check([
        "tcp",
        80,
        t.reach(true).expectIngress("x/a", false).expect("x/b", "x/a", true).expect("x/c", "x/a", true),
      ]);
      await t.cluster.setPodLabels("x/b", { pod: "b-moved" });
      await t.check(["tcp", 80, t.reach(true).expectIngress("x/a", false).expect("x/c", "x/a", true)]);
    },
  },
  {
    name: "a pod whose labels change leaves the policy's podSelector and is no longer isolated",
    async run(t) {
      await t.policy("x", "deny-a", { podSelector: podIs("a"), policyTypes: ["Ingress"] });
      await t.check(["tcp", 80, t.reach(true).expectIngress("x/a", false)]);
      await t.cluster.setPodLabels("x/a", { pod: "a-moved" });
      await t.check(["tcp", 80, t.reach(true)]);
    },
  },
  {
    name: "a namespace whose labels change enters a namespaceSelector while the policy stands",
    async run(t) {
      await t.policy("x", "from-y", {
        podSelector: podIs("a"),
        ingress: [{ from: [{ namespaceSelector: nsIs("y") }] }],
      });
      await t.cluster.setNamespaceLabels("z", { ns: "y" });
      await t.check([
        "tcp",
        80,
        t.reach(true).expectIngress("x/a", false).expect("y", "x/a", true).expect("z", "x/a", true),
      ]);
      await t.cluster.setNamespaceLabels("y", { ns: "y-moved" });
      await t.check(["tcp", 80, t.reach(true).expectIngress("x/a", false).expect("z", "x/a", true)]);
    },
  },
];
