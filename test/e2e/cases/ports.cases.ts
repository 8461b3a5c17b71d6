// Conformance cases on ports: by number and by name (per destination pod), endPort ranges, UDP, and the TCP default.
// Expectations follow the Kubernetes NetworkPolicy documentation, not what the system does.
import { type ConformanceCase, podIs } from "./case.ts";

export const PORTS_CASES: ConformanceCase[] = [
  {
    name: "a port given by number allows that port only",
    async run(t) {
      await t.policy("x", "port-81", {
        podSelector: podIs("a"),
        ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 81, protocol: "TCP" }] }],
      });
      await t.check(["tcp", 80, t.reach(true).expectIngress("x/a", false)], ["tcp", 81, t.reach(true)]);
    },
  },
  {
    name: "a port given by name resolves to the destination pod's named port",
    multiNode: true,
    async run(t) {
      await t.policy("x", "named-81", {
        podSelector: podIs("a"),
        ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: "serve-81-tcp" }] }],
      });
      await t.check(["tcp", 80, t.reach(true).expectIngress("x/a", false)], ["tcp", 81, t.reach(true)]);
    },
  },
  {
    name: "a named UDP port allows UDP on it and not TCP on the same number",
    async run(t) {
      await t.policy("x", "named-udp", {
        podSelector: podIs("a"),
        ingress: [{ ports: [{ protocol: "UDP", port: "serve-80-udp" }] }],
      });
      const closed = t.reach(true).expectIngress("x/a", false);
      await t.check(["udp", 80, t.reach(true)], ["tcp", 80, closed], ["udp", 81, closed]);
    },
  },
  {
    name: "a named egress port resolves per destination pod",
    async run(t) {
      await t.policy("x", "egress-named", {
        podSelector: podIs("a"),
        policyTypes: ["Egress"],
        egress: [{ ports: [{ port: "serve-81-tcp" }] }],
      });
      await t.check(["tcp", 81, t.reach(true)], ["tcp", 80, t.reach(true).expectEgress("x/a", false)]);
    },
  },
  {
    name: "endPort allows the whole range and nothing outside it",
    multiNode: true,
    async run(t) {
      await t.policy("x", "range-80-81", {
        podSelector: podIs("a"),
        ingress: [{ ports: [{ protocol: "TCP", port: 80, endPort: 81 }] }],
      });
      await t.policy("x", "range-81-85", {
        podSelector: podIs("b"),
        ingress: [{ ports: [{ protocol: "TCP", port: 81, endPort: 85 }] }],
      });
      await t.check(
        ["tcp", 80, t.reach(true).expectIngress("x/b", false)],
        ["tcp", 81, t.reach(true)],
        ["udp", 80, t.reach(true).expectIngress("x/a", false).expectIngress("x/b", false)],
      );
    },
  },
  {
    name: "a UDP rule allows UDP on its port only",
    async run(t) {
      await t.policy("x", "udp-81", {
        podSelector: podIs("a"),
        ingress: [{ ports: [{ protocol: "UDP", port: 81 }] }],
      });
      const closed = t.reach(true).expectIngress("x/a", false);
      await t.check(["udp", 81, t.reach(true)], ["udp", 80, closed], ["tcp", 81, closed]);
    },
  },
  {
    name: "a port without a protocol means TCP",
    async run(t) {
      await t.policy("x", "port-80", { podSelector: podIs("a"), ingress: [{ ports: [{ port: 80 }] }] });
      await t.check(["tcp", 80, t.reach(true)], ["udp", 80, t.reach(true).expectIngress("x/a", false)]);
    },
  },
  {
    name: "an egress rule with ports allows those ports to every destination",
    async run(t) {
      await t.policy("x", "egress-80", {
        podSelector: podIs("a"),
        policyTypes: ["Egress"],
        egress: [{ ports: [{ protocol: "TCP", port: 80 }] }],
      });
      const closed = t.reach(true).expectEgress("x/a", false);
      await t.check(["tcp", 80, t.reach(true)], ["tcp", 81, closed], ["udp", 80, closed]);
    },
  },
  {
    name: "a rule with ports and no from allows every source on those ports",
    async run(t) {
      await t.policy("x", "any-81", { podSelector: podIs("a"), ingress: [{ ports: [{ port: 81 }] }] });
      await t.check(["tcp", 81, t.reach(true)], ["tcp", 80, t.reach(true).expectIngress("x/a", false)]);
    },
  },
  {
    name: "a named port resolves to each destination pod's own number",
    multiNode: true,
    async run(t) {
      // x/c calls its TCP 80 "serve-81-tcp": the rule opens 81 on x/a and x/b, but 80 on x/c.
      await t.cluster.setPodPorts("x/c", [{ name: "serve-81-tcp", port: 80, protocol: "TCP" }]);
      await t.policy("x", "named-81", { podSelector: {}, ingress: [{ ports: [{ port: "serve-81-tcp" }] }] });
      await t.check(
        ["tcp", 80, t.reach(true).expectIngress("x/a", false).expectIngress("x/b", false)],
        ["tcp", 81, t.reach(true).expectIngress("x/c", false)],
      );
    },
  },
  {
    name: "an egress named port allows nothing to a destination pod that does not define it",
    async run(t) {
      await t.cluster.setPodPorts("y/b", [{ name: "other-81", port: 81, protocol: "TCP" }]);
      await t.policy("x", "egress-named", {
        podSelector: podIs("a"),
        policyTypes: ["Egress"],
        egress: [{ ports: [{ port: "serve-81-tcp" }] }],
      });
      await t.check(["tcp", 81, t.reach(true).expect("x/a", "y/b", false)]);
    },
  },
];
