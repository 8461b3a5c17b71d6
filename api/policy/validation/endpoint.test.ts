// Tests Endpoint body validation: node, interface, addresses and ports.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { validateEndpoint } from "./endpoint.ts";
import { assertOk, type Case, checkCase } from "./fixtures.ts";

function body(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { labels: { app: "web" }, node: "node-a", interface: "veth1a2b", ips: ["10.0.0.7"], ...overrides };
}

const cases: Case<[string, string, unknown]>[] = [
  { name: "a minimal endpoint is accepted", input: ["prod", "web-1", body()], expect: "ok" },
  {
    name: "the namespace must be a DNS-1123 label",
    input: ["Prod", "web-1", body()],
    expect: ["namespace", "dns1123_label"],
  },
  {
    name: "the name must be a DNS-1123 subdomain",
    input: ["prod", "web_1", body()],
    expect: ["name", "dns1123_subdomain"],
  },
  {
    name: "labels follow the label rules",
    input: ["prod", "web-1", body({ labels: { app: "a b" } })],
    expect: ["labels.app", "label_value"],
  },
  {
    name: "node is required",
    input: ["prod", "web-1", body({ node: undefined })],
    expect: ["node", "required"],
  },
  {
    name: "node must be a DNS-1123 subdomain",
    input: ["prod", "web-1", body({ node: "Node_A" })],
    expect: ["node", "dns1123_subdomain"],
  },
  {
    name: "an empty node is required",
    input: ["prod", "web-1", body({ node: "" })],
    expect: ["node", "required"],
  },
  {
    name: "interface is required",
    input: ["prod", "web-1", body({ interface: undefined })],
    expect: ["interface", "required"],
  },
  {
    name: "an interface of 16 bytes is too long",
    input: ["prod", "web-1", body({ interface: "a".repeat(16) })],
    expect: ["interface", "interface_name"],
  },
  {
    name: "an interface with '/' is refused",
    input: ["prod", "web-1", body({ interface: "a/b" })],
    expect: ["interface", "interface_name"],
  },
  {
    name: "an interface of '..' is refused",
    input: ["prod", "web-1", body({ interface: ".." })],
    expect: ["interface", "interface_name"],
  },
  {
    name: "an interface with whitespace is refused",
    input: ["prod", "web-1", body({ interface: "veth 1" })],
    expect: ["interface", "interface_name"],
  },
  {
    name: "one IPv4 and one IPv6 address are accepted",
    input: ["prod", "web-1", body({ ips: ["10.0.0.7", "fd00::7"] })],
    expect: "ok",
  },
  {
    name: "ips are required",
    input: ["prod", "web-1", body({ ips: undefined })],
    expect: ["ips", "required"],
  },
  {
    name: "an empty ips list is refused",
    input: ["prod", "web-1", body({ ips: [] })],
    expect: ["ips", "min_items"],
  },
  {
    name: "three addresses are too many",
    input: ["prod", "web-1", body({ ips: ["10.0.0.7", "fd00::7", "10.0.0.8"] })],
    expect: ["ips", "max_items"],
  },
  {
    name: "an invalid address is refused",
    input: ["prod", "web-1", body({ ips: ["10.0.0.256"] })],
    expect: ["ips[0]", "ip"],
  },
  {
    name: "a CIDR is not an address",
    input: ["prod", "web-1", body({ ips: ["10.0.0.7/32"] })],
    expect: ["ips[0]", "ip"],
  },
  {
    name: "two IPv4 addresses are refused",
    input: ["prod", "web-1", body({ ips: ["10.0.0.7", "10.0.0.8"] })],
    expect: ["ips[1]", "duplicate_family"],
  },
  {
    name: "the same address written twice is a duplicate",
    input: ["prod", "web-1", body({ ips: ["fd00::7", "FD00:0::7"] })],
    expect: ["ips[1]", "duplicate"],
  },
  {
    name: "an IPv4-mapped IPv6 address is refused",
    input: ["prod", "web-1", body({ ips: ["::ffff:10.0.0.7"] })],
    expect: ["ips[0]", "ipv4_mapped_ipv6"],
  },
  {
    name: "an address in the namespace map's reserved range is refused",
    input: ["prod", "web-1", body({ ips: ["10.0.0.7", "FDFF:ffff:ffff:ffff:ffff:ffff:0:100"] })],
    expect: ["ips[1]", "reserved"],
  },
  {
    name: "an address just below the reserved range is accepted",
    input: ["prod", "web-1", body({ ips: ["fdff:ffff:ffff:ffff:ffff:fffe:ffff:ffff"] })],
    expect: "ok",
  },
  {
    name: "named and unnamed ports are accepted",
    input: [
      "prod",
      "web-1",
      body({ ports: [{ name: "http", port: 80 }, { name: "", port: 53, protocol: "UDP" }, { port: 53 }] }),
    ],
    expect: "ok",
  },
  {
    name: "a port name must be an IANA service name",
    input: ["prod", "web-1", body({ ports: [{ name: "HTTP", port: 80 }] })],
    expect: ["ports[0].name", "iana_svc_name"],
  },
  {
    name: "a port number is required",
    input: ["prod", "web-1", body({ ports: [{ name: "http" }] })],
    expect: ["ports[0].port", "required"],
  },
  {
    name: "a port number must be in range",
    input: ["prod", "web-1", body({ ports: [{ port: 70000 }] })],
    expect: ["ports[0].port", "port_range"],
  },
  {
    name: "a port number may not be a string",
    input: ["prod", "web-1", body({ ports: [{ port: "80" }] })],
    expect: ["ports[0].port", "invalid_type"],
  },
  {
    name: "a protocol must be TCP, UDP or SCTP",
    input: ["prod", "web-1", body({ ports: [{ port: 80, protocol: "QUIC" }] })],
    expect: ["ports[0].protocol", "enum"],
  },
  {
    name: "port names must be unique",
    input: [
      "prod",
      "web-1",
      body({
        ports: [
          { name: "http", port: 80 },
          { name: "http", port: 81 },
        ],
      }),
    ],
    expect: ["ports[1].name", "duplicate"],
  },
  {
    name: "a port and protocol pair must be unique (protocol defaulted)",
    input: ["prod", "web-1", body({ ports: [{ port: 80 }, { port: 80, protocol: "TCP" }] })],
    expect: ["ports[1]", "duplicate"],
  },
  {
    name: "the same port with another protocol is accepted",
    input: ["prod", "web-1", body({ ports: [{ port: 53 }, { port: 53, protocol: "UDP" }] })],
    expect: "ok",
  },
  {
    name: "an unknown field is refused",
    input: ["prod", "web-1", body({ hostNetwork: true })],
    expect: ["hostNetwork", "unknown_field"],
  },
];

describe("validateEndpoint", () => {
  for (const { name, input, expect } of cases)
    test(name, () => checkCase(validateEndpoint(...input), expect));

  test("addresses are canonicalized and ports defaulted", () => {
    const endpoint = assertOk(
      validateEndpoint(
        "prod",
        "web-1",
        body({
          ips: ["FD00:0:0::7", "10.0.0.7"],
          ports: [{ port: 80 }, { name: "dns", port: 53, protocol: "UDP" }],
        }),
      ),
    );
    assert.deepEqual(endpoint, {
      namespace: "prod",
      name: "web-1",
      labels: { app: "web" },
      node: "node-a",
      interface: "veth1a2b",
      ips: ["fd00::7", "10.0.0.7"],
      ports: [
        { name: "", port: 80, protocol: "TCP" },
        { name: "dns", port: 53, protocol: "UDP" },
      ],
    });
  });

  test("absent labels and ports normalize to empty", () => {
    const endpoint = assertOk(
      validateEndpoint("prod", "web-1", { node: "n", interface: "eth0", ips: ["10.0.0.1"] }),
    );
    assert.deepEqual(endpoint.labels, {});
    assert.deepEqual(endpoint.ports, []);
  });
});
