import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderClusterNetworkPolicy, validateClusterNetworkPolicy } from "./index.ts";

const TYPE = { apiVersion: "policy.networking.k8s.io/v1alpha2", kind: "ClusterNetworkPolicy" };

function issuesOf(input: unknown) {
  const r = validateClusterNetworkPolicy(input);
  assert.equal(r.ok, false);
  return r.ok ? [] : r.issues.map((i) => `${i.path} ${i.rule} ${JSON.stringify(i.value)}`);
}

describe("validateClusterNetworkPolicy", () => {
  it("normalizes an upstream object and renders it back to the same object", () => {
    const input = {
      ...TYPE,
      metadata: { name: "a", annotations: { "palisade.dev/mode": "audit" } },
      spec: {
        tier: "Admin",
        priority: 10,
        subject: { pods: { podSelector: { matchLabels: { app: "db" } } } },
        ingress: [
          {
            name: "x",
            action: "Deny",
            from: [{ namespaces: {} }],
            protocols: [
              { tcp: { destinationPort: { range: { start: 80, end: 90 } } } },
              { destinationNamedPort: "http" },
            ],
          },
        ],
        egress: [{ action: "Pass", to: [{ networks: ["10.0.0.1/8", "10.0.0.0/8"] }] }],
      },
    };
    const r = validateClusterNetworkPolicy(input);
    assert.ok(r.ok);
    const { spec } = r.value;
    assert.deepEqual(spec.subject, {
      pods: {
        namespaceSelector: { matchLabels: {}, matchExpressions: [] },
        podSelector: { matchLabels: { app: "db" }, matchExpressions: [] },
      },
    });
    assert.deepEqual(spec.ingress[0]!.protocols, [
      { protocol: "TCP", port: 80, endPort: 90 },
      { namedPort: "http" },
    ]);
    assert.deepEqual(spec.egress[0], {
      name: "",
      action: "Pass",
      peers: [{ networks: ["10.0.0.0/8"] }],
      protocols: [],
    });
    const again = validateClusterNetworkPolicy(renderClusterNetworkPolicy(r.value));
    assert.deepEqual(again, r);
  });

  it("reports every issue with its path, rule and value", () => {
    const got = issuesOf({
      ...TYPE,
      metadata: { name: "a", annotations: { "palisade.dev/mode": "audti" } },
      spec: {
        tier: "Admin2",
        priority: 1001,
        subject: { namespaces: {}, pods: { podSelector: {} } },
        ingress: [{ action: "Drop", from: [], protocols: [] }],
        egress: [
          {
            action: "Accept",
            to: [{ networks: ["10.0.0.1/88"], namespaces: {} }],
            protocols: [
              { tcp: {} },
              { tcp: { destinationPort: { range: { start: 9, end: 9 } } } },
              { udp: { destinationPort: { number: 0 } } },
            ],
          },
          {
            action: "Pass",
            to: [{ networks: ["1.2.3.4/32"] }],
            protocols: [{ destinationNamedPort: "dns" }],
          },
        ],
      },
    });
    for (const want of [
      'spec.tier enum "Admin2"',
      "spec.priority priority_range 1001",
      "spec.subject one_of_exclusive",
      'spec.ingress[0].action enum "Drop"',
      "spec.ingress[0].from min_items []",
      "spec.ingress[0].protocols min_items []",
      'spec.egress[0].to[0].networks[0] cidr "10.0.0.1/88"',
      "spec.egress[0].to[0] one_of_exclusive",
      "spec.egress[0].protocols[0].tcp one_of_required {}",
      "spec.egress[0].protocols[1].tcp.destinationPort.range.end end_not_after_start 9",
      "spec.egress[0].protocols[2].udp.destinationPort.number port_range 0",
      'spec.egress[1].protocols[0].destinationNamedPort named_port_with_networks "dns"',
      'metadata.annotations["palisade.dev/mode"] enum "audti"',
    ]) {
      assert.ok(
        got.some((g) => g.startsWith(want)),
        `${want}\n in\n${got.join("\n")}`,
      );
    }
  });

  it("bounds lists at upstream's 25 and refuses unknown fields and peers (nodes, domainNames)", () => {
    const peers = Array.from({ length: 26 }, () => ({ namespaces: {} }));
    const got = issuesOf({
      ...TYPE,
      metadata: { name: "a" },
      spec: {
        tier: "Baseline",
        priority: 0,
        subject: { namespaces: {} },
        ingress: [{ action: "Deny", from: peers }],
        egress: [{ action: "Accept", to: [{ domainNames: ["example.com"] }] }],
        extra: 1,
      },
    });
    assert.ok(
      got.some((g) => g.startsWith("spec.ingress[0].from too_many_peers")),
      got.join("\n"),
    );
    assert.ok(
      got.some((g) => g.startsWith("spec.egress[0].to[0]")),
      got.join("\n"),
    );
    assert.ok(
      got.some((g) => g.startsWith("spec")),
      got.join("\n"),
    );
  });

  it("takes the name from the URL and requires type meta only in bundles", () => {
    const spec = { tier: "Admin", priority: 1, subject: { namespaces: {} } };
    assert.ok(validateClusterNetworkPolicy({ spec }, { name: "u", requireTypeMeta: false }).ok);
    assert.ok(
      !validateClusterNetworkPolicy({ spec, metadata: { name: "v" } }, { name: "u", requireTypeMeta: false })
        .ok,
    );
    const noType = issuesOf({ metadata: { name: "a" }, spec });
    assert.ok(noType.some((g) => g.startsWith("apiVersion required")));
  });
});
