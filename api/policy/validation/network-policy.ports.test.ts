// Tests the NetworkPolicy spec rules for ports, policyTypes and rules.
import { describe, test } from "node:test";
import { type Case, checkCase, policyWithIngress, policyWithSpec } from "./fixtures.ts";
import { validateNetworkPolicy } from "./network-policy.ts";

const P = "spec.ingress[0]";

function port(p: Record<string, unknown>): Record<string, unknown> {
  return policyWithIngress({ ports: [p] });
}

const portCases: Case<Record<string, unknown>>[] = [
  { name: "a numeric port is accepted", input: port({ port: 443 }), expect: "ok" },
  { name: "port 65535 is accepted", input: port({ port: 65535 }), expect: "ok" },
  { name: "port 0 is out of range", input: port({ port: 0 }), expect: [`${P}.ports[0].port`, "port_range"] },
  {
    name: "port 65536 is out of range",
    input: port({ port: 65536 }),
    expect: [`${P}.ports[0].port`, "port_range"],
  },
  {
    name: "a fractional port is refused",
    input: port({ port: 80.5 }),
    expect: [`${P}.ports[0].port`, "invalid_type"],
  },
  { name: "a named port is accepted", input: port({ port: "http-alt" }), expect: "ok" },
  {
    name: "a numeric string port is a name without a letter",
    input: port({ port: "80" }),
    expect: [`${P}.ports[0].port`, "iana_svc_name"],
  },
  {
    name: "an upper-case port name is refused",
    input: port({ port: "HTTP" }),
    expect: [`${P}.ports[0].port`, "iana_svc_name"],
  },
  {
    name: "a port name over 15 characters is refused",
    input: port({ port: "a".repeat(16) }),
    expect: [`${P}.ports[0].port`, "iana_svc_name"],
  },
  {
    name: "a boolean port is refused",
    input: port({ port: true }),
    expect: [`${P}.ports[0].port`, "invalid_type"],
  },
  {
    name: "UDP and SCTP are accepted",
    input: policyWithIngress({ ports: [{ protocol: "UDP" }, { protocol: "SCTP", port: 9 }] }),
    expect: "ok",
  },
  {
    name: "a lower-case protocol is refused",
    input: port({ protocol: "tcp" }),
    expect: [`${P}.ports[0].protocol`, "enum"],
  },
  {
    name: "ICMP is not a NetworkPolicy protocol",
    input: port({ protocol: "ICMP" }),
    expect: [`${P}.ports[0].protocol`, "enum"],
  },
  {
    name: "an endPort after a numeric port is accepted",
    input: port({ port: 1000, endPort: 2000 }),
    expect: "ok",
  },
  { name: "an endPort equal to port is accepted", input: port({ port: 1000, endPort: 1000 }), expect: "ok" },
  {
    name: "an endPort before port is refused",
    input: port({ port: 1000, endPort: 999 }),
    expect: [`${P}.ports[0].endPort`, "end_port_before_port"],
  },
  {
    name: "an endPort over 65535 is refused",
    input: port({ port: 1000, endPort: 70000 }),
    expect: [`${P}.ports[0].endPort`, "port_range"],
  },
  {
    name: "an endPort with a named port is refused",
    input: port({ port: "http", endPort: 90 }),
    expect: [`${P}.ports[0].endPort`, "end_port_requires_numeric_port"],
  },
  {
    name: "an endPort without a port is refused",
    input: port({ endPort: 90 }),
    expect: [`${P}.ports[0].endPort`, "end_port_requires_numeric_port"],
  },
  {
    name: "an unknown port field is refused",
    input: port({ port: 80, name: "http" }),
    expect: [`${P}.ports[0].name`, "unknown_field"],
  },
];

const policyTypeCases: Case<Record<string, unknown>>[] = [
  {
    name: "policyTypes Ingress and Egress are accepted",
    input: policyWithSpec({ policyTypes: ["Egress", "Ingress"] }),
    expect: "ok",
  },
  {
    name: "an unknown policy type is refused",
    input: policyWithSpec({ policyTypes: ["Ingress", "ingress"] }),
    expect: ["spec.policyTypes[1]", "enum"],
  },
  {
    name: "a repeated policy type is refused",
    input: policyWithSpec({ policyTypes: ["Egress", "Egress"] }),
    expect: ["spec.policyTypes[1]", "duplicate"],
  },
  {
    name: "more than two policy types are refused",
    input: policyWithSpec({ policyTypes: ["Ingress", "Egress", "Ingress"] }),
    expect: ["spec.policyTypes", "max_items"],
  },
  {
    name: "policyTypes must be an array",
    input: policyWithSpec({ policyTypes: "Ingress" }),
    expect: ["spec.policyTypes", "invalid_type"],
  },
  {
    name: "an unknown spec field is refused",
    input: policyWithSpec({ ingres: [] }),
    expect: ["spec.ingres", "unknown_field"],
  },
  {
    name: "an unknown rule field is refused",
    input: policyWithIngress({ peers: [] }),
    expect: [`${P}.peers`, "unknown_field"],
  },
];

for (const [title, cases] of [
  ["ports", portCases],
  ["policyTypes and rules", policyTypeCases],
] as const) {
  describe(`NetworkPolicy spec: ${title}`, () => {
    for (const { name, input, expect } of cases)
      test(name, () => checkCase(validateNetworkPolicy(input), expect));
  });
}
