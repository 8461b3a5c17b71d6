// Conformance cases on peers: podSelector and namespaceSelector (matchLabels, every matchExpressions operator, AND and OR forms) and ipBlock with except.
// Expectations follow the Kubernetes NetworkPolicy documentation, not what the system does.
import { type ConformanceCase, nsIs, podIs } from "./case.ts";

export const SELECTORS_CASES: ConformanceCase[] = [
  {
    name: "podSelector matchLabels in a peer allows only those pods of the policy's own namespace",
    multiNode: true,
    async run(t) {
      await t.policy("x", "from-b", {
        podSelector: podIs("a"),
        ingress: [{ from: [{ podSelector: podIs("b") }] }],
      });
      await t.check(["tcp", 80, t.reach(true).expectIngress("x/a", false).expect("x/b", "x/a", true)]);
    },
  },
  {
    name: "an empty podSelector in a peer selects every pod of the policy's namespace only",
    async run(t) {
      await t.policy("x", "from-x", { podSelector: podIs("a"), ingress: [{ from: [{ podSelector: {} }] }] });
      await t.check(["tcp", 80, t.reach(true).expectIngress("x/a", false).expect("x", "x/a", true)]);
    },
  },
  {
    name: "an empty namespaceSelector in a peer selects pods of every namespace",
    async run(t) {
      await t.policy("x", "deny", { podSelector: {}, policyTypes: ["Ingress"] });
      await t.policy("x", "from-all-ns", {
        podSelector: podIs("a"),
        ingress: [{ from: [{ namespaceSelector: {} }] }],
      });
      await t.check(["tcp", 80, t.reach(true).expectIngress("x", false).expectIngress("x/a", true)]);
    },
  },
  {
    name: "namespaceSelector matchLabels allows every pod of the selected namespace",
    multiNode: true,
    async run(t) {
      await t.policy("x", "from-y", {
        podSelector: podIs("a"),
        ingress: [{ from: [{ namespaceSelector: nsIs("y") }] }],
      });
      await t.check(["tcp", 80, t.reach(true).expectIngress("x/a", false).expect("y", "x/a", true)]);
    },
  },
  {
    name: "matchExpressions In on a namespaceSelector allows the listed namespaces",
    async run(t) {
      await t.policy("x", "from-yz", {
        podSelector: podIs("a"),
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchExpressions: [{ key: "ns", operator: "In", values: ["y", "z"] }] },
              },
            ],
          },
        ],
      });
      await t.check([
        "tcp",
        80,
        t.reach(true).expectIngress("x/a", false).expect("y", "x/a", true).expect("z", "x/a", true),
      ]);
    },
  },
  {
    name: "matchExpressions NotIn on a namespaceSelector allows every other namespace",
    async run(t) {
      await t.policy("x", "not-from-y", {
        podSelector: podIs("a"),
        ingress: [
          {
            from: [
              { namespaceSelector: { matchExpressions: [{ key: "ns", operator: "NotIn", values: ["y"] }] } },
            ],
          },
        ],
      });
      await t.check(["tcp", 80, t.reach(true).expect("y", "x/a", false)]);
    },
  },
  {
    name: "matchExpressions In on the policy's podSelector isolates exactly the listed pods",
    async run(t) {
      await t.policy("x", "deny-ab", {
        podSelector: { matchExpressions: [{ key: "pod", operator: "In", values: ["a", "b"] }] },
        policyTypes: ["Ingress"],
      });
      await t.check(["tcp", 80, t.reach(true).expectIngress("x/a", false).expectIngress("x/b", false)]);
    },
  },
  {
    name: "matchExpressions Exists on a podSelector allows the namespace's pods that carry the key",
    async run(t) {
      await t.policy("x", "pod-exists", {
        podSelector: podIs("a"),
        ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: "pod", operator: "Exists" }] } }] }],
      });
      await t.check(["tcp", 80, t.reach(true).expectIngress("x/a", false).expect("x", "x/a", true)]);
    },
  },
  {
    name: "matchExpressions DoesNotExist selects pods without the key (all of them for an absent key, none for a present one)",
    async run(t) {
      await t.policy("x", "no-app-label", {
        podSelector: podIs("a"),
        ingress: [
          {
            from: [
              {
                namespaceSelector: nsIs("y"),
                podSelector: { matchExpressions: [{ key: "app", operator: "DoesNotExist" }] },
              },
            ],
          },
        ],
      });
      await t.policy("x", "no-pod-label", {
        podSelector: podIs("b"),
        ingress: [
          {
            from: [
              {
                namespaceSelector: {},
                podSelector: { matchExpressions: [{ key: "pod", operator: "DoesNotExist" }] },
              },
            ],
          },
        ],
      });
      const r = t
        .reach(true)
        .expectIngress("x/a", false)
        .expect("y", "x/a", true)
        .expectIngress("x/b", false);
      await t.check(["tcp", 80, r]);
    },
  },
  {
    name: "namespaceSelector and podSelector in one peer mean AND",
    multiNode: true,
    async run(t) {
      await t.policy("x", "and", {
        podSelector: podIs("a"),
        ingress: [{ from: [{ namespaceSelector: nsIs("y"), podSelector: podIs("b") }] }],
      });
      await t.check(["tcp", 80, t.reach(true).expectIngress("x/a", false).expect("y/b", "x/a", true)]);
    },
  },
  {
    name: "namespaceSelector and podSelector in two peers mean OR",
    multiNode: true,
    async run(t) {
      await t.policy("x", "or", {
        podSelector: podIs("a"),
        ingress: [{ from: [{ namespaceSelector: nsIs("y") }, { podSelector: podIs("b") }] }],
      });
      await t.check([
        "tcp",
        80,
        t.reach(true).expectIngress("x/a", false).expect("y", "x/a", true).expect("x/b", "x/a", true),
      ]);
    },
  },
  {
    name: "ipBlock with except applies to pod IPs (ingress)",
    multiNode: true,
    async run(t) {
      await t.policy("x", "cidr-except", {
        podSelector: podIs("a"),
        ingress: [{ from: [{ ipBlock: { cidr: t.cluster.topo.subnet, except: [`${t.ip("y/b")}/32`] } }] }],
      });
      await t.check(["tcp", 80, t.reach(true).expect("y/b", "x/a", false)]);
    },
  },
  {
    name: "ipBlock on egress selects pod IPs",
    async run(t) {
      await t.policy("x", "to-z-c", {
        podSelector: podIs("a"),
        policyTypes: ["Egress"],
        egress: [{ to: [{ ipBlock: { cidr: `${t.ip("z/c")}/32` } }] }],
      });
      await t.check(["tcp", 80, t.reach(true).expectEgress("x/a", false).expect("x/a", "z/c", true)]);
    },
  },
  {
    name: "an empty namespaceSelector with a podSelector in one peer selects those pods in every namespace",
    async run(t) {
      await t.policy("x", "b-anywhere", {
        podSelector: podIs("a"),
        ingress: [{ from: [{ namespaceSelector: {}, podSelector: podIs("b") }] }],
      });
      await t.check(["tcp", 80, t.reach(true).expectIngress("x/a", false).expect({ pod: "b" }, "x/a", true)]);
    },
  },
  {
    name: "ipBlock with except applies to pod IPs (egress)",
    async run(t) {
      await t.policy("x", "egress-cidr-except", {
        podSelector: podIs("a"),
        policyTypes: ["Egress"],
        egress: [{ to: [{ ipBlock: { cidr: t.cluster.topo.subnet, except: [`${t.ip("z/a")}/32`] } }] }],
      });
      await t.check(["tcp", 80, t.reach(true).expect("x/a", "z/a", false)]);
    },
  },
];
