// Tests the NetworkPolicy spec rules for label selectors, peers and ipBlock.
import { describe, test } from "node:test";
import { type Case, checkCase, policyWithIngress, policyWithSpec } from "./fixtures.ts";
import { validateNetworkPolicy } from "./network-policy.ts";

const P = "spec.ingress[0]";

function peer(p: Record<string, unknown>): Record<string, unknown> {
  return policyWithIngress({ from: [p] });
}

function ipBlock(cidr: string, except?: string[]): Record<string, unknown> {
  return peer({ ipBlock: except ? { cidr, except } : { cidr } });
}

const selectorCases: Case<Record<string, unknown>>[] = [
  {
    name: "an empty podSelector selects every pod and is accepted",
    input: policyWithSpec({ podSelector: {} }),
    expect: "ok",
  },
  {
    name: "spec.podSelector is required",
    input: { ...policyWithSpec({}), spec: {} },
    expect: ["spec.podSelector", "required"],
  },
  {
    name: "spec.podSelector must be an object",
    input: policyWithSpec({ podSelector: "app=web" }),
    expect: ["spec.podSelector", "invalid_type"],
  },
  {
    name: "matchLabels follow the label rules",
    input: policyWithSpec({ podSelector: { matchLabels: { app: "web server" } } }),
    expect: ["spec.podSelector.matchLabels.app", "label_value"],
  },
  {
    name: "In with values is accepted",
    input: policyWithSpec({
      podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["a", "b"] }] },
    }),
    expect: "ok",
  },
  {
    name: "In without values is refused",
    input: policyWithSpec({ podSelector: { matchExpressions: [{ key: "app", operator: "In" }] } }),
    expect: ["spec.podSelector.matchExpressions[0].values", "required"],
  },
  {
    name: "NotIn with an empty values list is refused",
    input: policyWithSpec({
      podSelector: { matchExpressions: [{ key: "app", operator: "NotIn", values: [] }] },
    }),
    expect: ["spec.podSelector.matchExpressions[0].values", "required"],
  },
  {
    name: "Exists without values is accepted",
    input: policyWithSpec({ podSelector: { matchExpressions: [{ key: "app", operator: "Exists" }] } }),
    expect: "ok",
  },
  {
    name: "DoesNotExist with values is refused",
    input: policyWithSpec({
      podSelector: { matchExpressions: [{ key: "app", operator: "DoesNotExist", values: ["x"] }] },
    }),
    expect: ["spec.podSelector.matchExpressions[0].values", "forbidden"],
  },
  {
    name: "an unknown operator is refused",
    input: policyWithSpec({
      podSelector: { matchExpressions: [{ key: "app", operator: "Gt", values: ["1"] }] },
    }),
    expect: ["spec.podSelector.matchExpressions[0].operator", "enum"],
  },
  {
    name: "an expression key must be a qualified name",
    input: policyWithSpec({ podSelector: { matchExpressions: [{ key: "-app", operator: "Exists" }] } }),
    expect: ["spec.podSelector.matchExpressions[0].key", "qualified_name"],
  },
  {
    name: "expression values must be label values",
    input: policyWithSpec({
      podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["ok", "not ok"] }] },
    }),
    expect: ["spec.podSelector.matchExpressions[0].values[1]", "label_value"],
  },
  {
    name: "an unknown selector field is refused",
    input: policyWithSpec({ podSelector: { matchLabel: { app: "web" } } }),
    expect: ["spec.podSelector.matchLabel", "unknown_field"],
  },
];

const peerCases: Case<Record<string, unknown>>[] = [
  {
    name: "a podSelector peer is accepted",
    input: peer({ podSelector: { matchLabels: { app: "db" } } }),
    expect: "ok",
  },
  { name: "a namespaceSelector peer is accepted", input: peer({ namespaceSelector: {} }), expect: "ok" },
  {
    name: "podSelector and namespaceSelector together are accepted",
    input: peer({ podSelector: {}, namespaceSelector: {} }),
    expect: "ok",
  },
  { name: "an empty peer is refused", input: peer({}), expect: [`${P}.from[0]`, "empty_peer"] },
  {
    name: "a peer of only null selectors is empty",
    input: peer({ podSelector: null }),
    expect: [`${P}.from[0]`, "empty_peer"],
  },
  {
    name: "ipBlock with a selector in one peer is refused",
    input: peer({ ipBlock: { cidr: "10.0.0.0/8" }, namespaceSelector: {} }),
    expect: [`${P}.from[0]`, "ip_block_with_selector"],
  },
  {
    name: "an unknown peer field is refused",
    input: peer({ serviceAccount: "x", podSelector: {} }),
    expect: [`${P}.from[0].serviceAccount`, "unknown_field"],
  },
  {
    name: "egress peers are checked under to",
    input: policyWithSpec({ egress: [{ to: [{}] }] }),
    expect: ["spec.egress[0].to[0]", "empty_peer"],
  },
  {
    name: "from is not a field of an egress rule",
    input: policyWithSpec({ egress: [{ from: [] }] }),
    expect: ["spec.egress[0].from", "unknown_field"],
  },
  { name: "an IPv4 CIDR is accepted", input: ipBlock("192.168.0.0/16"), expect: "ok" },
  { name: "an IPv6 CIDR is accepted", input: ipBlock("2001:db8::/32"), expect: "ok" },
  { name: "a CIDR with host bits set is accepted", input: ipBlock("10.0.0.1/24"), expect: "ok" },
  {
    name: "an address without a prefix length is not a CIDR",
    input: ipBlock("10.0.0.1"),
    expect: [`${P}.from[0].ipBlock.cidr`, "cidr"],
  },
  {
    name: "a prefix length beyond the family is not a CIDR",
    input: ipBlock("10.0.0.0/33"),
    expect: [`${P}.from[0].ipBlock.cidr`, "cidr"],
  },
  {
    name: "leading zeros in an IPv4 CIDR are refused",
    input: ipBlock("010.0.0.0/8"),
    expect: [`${P}.from[0].ipBlock.cidr`, "cidr"],
  },
  {
    name: "an empty cidr is required",
    input: ipBlock(""),
    expect: [`${P}.from[0].ipBlock.cidr`, "required"],
  },
  {
    name: "an IPv4-mapped IPv6 CIDR is refused",
    input: ipBlock("::ffff:10.0.0.0/104"),
    expect: [`${P}.from[0].ipBlock.cidr`, "ipv4_mapped_ipv6"],
  },
  {
    name: "ipBlock.cidr is required",
    input: peer({ ipBlock: { except: [] } }),
    expect: [`${P}.from[0].ipBlock.cidr`, "required"],
  },
  {
    name: "an except strictly inside cidr is accepted",
    input: ipBlock("10.0.0.0/8", ["10.1.0.0/16", "10.2.3.4/32"]),
    expect: "ok",
  },
  {
    name: "an IPv6 except strictly inside cidr is accepted",
    input: ipBlock("fd00::/8", ["fd00:1::/32"]),
    expect: "ok",
  },
  {
    name: "an except equal to cidr is not a strict subset",
    input: ipBlock("10.0.0.0/8", ["10.0.0.0/8"]),
    expect: [`${P}.from[0].ipBlock.except[0]`, "except_not_in_cidr"],
  },
  {
    name: "an except outside cidr is refused",
    input: ipBlock("10.0.0.0/8", ["11.0.0.0/16"]),
    expect: [`${P}.from[0].ipBlock.except[0]`, "except_not_in_cidr"],
  },
  {
    name: "an except wider than cidr is refused",
    input: ipBlock("10.1.0.0/16", ["10.0.0.0/8"]),
    expect: [`${P}.from[0].ipBlock.except[0]`, "except_not_in_cidr"],
  },
  {
    name: "an except of the other family is refused",
    input: ipBlock("10.0.0.0/8", ["fd00::/64"]),
    expect: [`${P}.from[0].ipBlock.except[0]`, "except_not_in_cidr"],
  },
  {
    name: "an except that is not a CIDR is refused",
    input: ipBlock("10.0.0.0/8", ["10.1.0.0"]),
    expect: [`${P}.from[0].ipBlock.except[0]`, "cidr"],
  },
];

for (const [title, cases] of [
  ["label selectors", selectorCases],
  ["peers and ipBlock", peerCases],
] as const) {
  describe(`NetworkPolicy spec: ${title}`, () => {
    for (const { name, input, expect } of cases)
      test(name, () => checkCase(validateNetworkPolicy(input), expect));
  });
}
