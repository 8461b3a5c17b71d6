// Tests NetworkPolicy defaulting, normalization, AND/OR peers and the render round trip.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { NetworkPolicy, PolicyType } from "../model.ts";
import { assertOk, basePolicy, policyWithIngress, policyWithSpec } from "./fixtures.ts";
import { renderNetworkPolicy } from "./network-policy.render.ts";
import { validateNetworkPolicy } from "./network-policy.ts";

const ALL = { matchLabels: {}, matchExpressions: [] };

function normalized(object: Record<string, unknown>): NetworkPolicy {
  return assertOk(validateNetworkPolicy(object));
}

describe("NetworkPolicy defaulting", () => {
  const table: [name: string, spec: Record<string, unknown>, types: PolicyType[]][] = [
    ["a policy without rules or policyTypes isolates ingress only", {}, ["Ingress"]],
    ["an ingress-only policy without policyTypes isolates ingress", { ingress: [{}] }, ["Ingress"]],
    [
      "an egress-only policy without policyTypes still isolates ingress",
      { egress: [{}] },
      ["Ingress", "Egress"],
    ],
    [
      "an empty policyTypes list is defaulted like an absent one",
      { policyTypes: [], egress: [{}] },
      ["Ingress", "Egress"],
    ],
    ["a null policyTypes is defaulted like an absent one", { policyTypes: null }, ["Ingress"]],
    ["an empty egress list does not add Egress", { egress: [] }, ["Ingress"]],
    ["explicit policyTypes are kept as given", { policyTypes: ["Egress"], ingress: [{}] }, ["Egress"]],
  ];
  for (const [name, spec, types] of table) {
    test(name, () => assert.deepEqual(normalized(policyWithSpec(spec)).spec.policyTypes, types));
  }

  test("a port without protocol defaults to TCP", () => {
    assert.deepEqual(normalized(policyWithIngress({ ports: [{ port: 53 }] })).spec.ingress[0]!.ports, [
      { protocol: "TCP", port: 53 },
    ]);
  });

  test("a port with only a protocol means every port of that protocol", () => {
    assert.deepEqual(normalized(policyWithIngress({ ports: [{ protocol: "UDP" }] })).spec.ingress[0]!.ports, [
      { protocol: "UDP" },
    ]);
  });

  test("absent from, to and ports normalize to empty lists meaning all", () => {
    const policy = normalized(policyWithSpec({ ingress: [{}], egress: [{}] }));
    assert.deepEqual(policy.spec.ingress, [{ peers: [], ports: [] }]);
    assert.deepEqual(policy.spec.egress, [{ peers: [], ports: [] }]);
  });

  test("null from, to and ports are read as absent, as Kubernetes decodes them", () => {
    const policy = normalized(
      policyWithSpec({ ingress: [{ from: null, ports: null }], egress: [{ to: null }] }),
    );
    assert.deepEqual(policy.spec.ingress, [{ peers: [], ports: [] }]);
    assert.deepEqual(policy.spec.egress, [{ peers: [], ports: [] }]);
  });

  test("absent ingress and egress normalize to empty lists", () => {
    const policy = normalized(basePolicy());
    assert.deepEqual(policy.spec.ingress, []);
    assert.deepEqual(policy.spec.egress, []);
  });

  test("CIDRs are normalized to canonical form with host bits cleared", () => {
    const policy = normalized(
      policyWithIngress({
        from: [
          { ipBlock: { cidr: "10.0.0.1/8", except: ["10.1.2.3/16"] } },
          { ipBlock: { cidr: "2001:DB8:0:0::1/32", except: ["2001:db8:0:0:1::/80"] } },
        ],
      }),
    );
    assert.deepEqual(
      policy.spec.ingress[0]!.peers.map((p) => p.ipBlock),
      [
        { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] },
        { cidr: "2001:db8::/32", except: ["2001:db8:0:0:1::/80"] },
      ],
    );
  });
});

describe("NetworkPolicy peers keep Kubernetes AND/OR semantics", () => {
  test("podSelector and namespaceSelector in one peer stay one peer (AND)", () => {
    const policy = normalized(
      policyWithIngress({
        from: [
          { namespaceSelector: { matchLabels: { team: "a" } }, podSelector: { matchLabels: { app: "db" } } },
        ],
      }),
    );
    assert.deepEqual(policy.spec.ingress[0]!.peers, [
      {
        namespaceSelector: { matchLabels: { team: "a" }, matchExpressions: [] },
        podSelector: { matchLabels: { app: "db" }, matchExpressions: [] },
      },
    ]);
  });

  test("podSelector and namespaceSelector in two peers stay two peers (OR)", () => {
    const policy = normalized(
      policyWithIngress({
        from: [
          { namespaceSelector: { matchLabels: { team: "a" } } },
          { podSelector: { matchLabels: { app: "db" } } },
        ],
      }),
    );
    assert.deepEqual(policy.spec.ingress[0]!.peers, [
      { namespaceSelector: { matchLabels: { team: "a" }, matchExpressions: [] } },
      { podSelector: { matchLabels: { app: "db" }, matchExpressions: [] } },
    ]);
  });

  test("an absent selector stays absent while an empty one selects everything", () => {
    const [peer] = normalized(policyWithIngress({ from: [{ namespaceSelector: {} }] })).spec.ingress[0]!
      .peers;
    assert.deepEqual(peer, { namespaceSelector: ALL });
    assert.equal("podSelector" in peer!, false);
  });
});

const realistic = {
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: {
    name: "api-allow",
    namespace: "shop",
    labels: { "app.kubernetes.io/part-of": "shop" },
    annotations: { "example.com/owner": "team-a" },
    resourceVersion: "17",
  },
  spec: {
    podSelector: {
      matchLabels: { app: "api" },
      matchExpressions: [{ key: "track", operator: "NotIn", values: ["canary"] }],
    },
    ingress: [
      {
        from: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "web" } },
            podSelector: { matchLabels: { app: "frontend" } },
          },
          { ipBlock: { cidr: "172.17.0.5/16", except: ["172.17.1.0/24"] } },
        ],
        ports: [{ port: 8080 }, { protocol: "TCP", port: "metrics" }],
      },
    ],
    egress: [
      {
        to: [{ podSelector: { matchExpressions: [{ key: "app", operator: "Exists" }] } }],
        ports: [{ protocol: "UDP", port: 53 }],
      },
      {
        to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.169.254/32"] } }],
        ports: [{ port: 30000, endPort: 32767 }],
      },
    ],
  },
};

const realisticNormalized: NetworkPolicy = {
  namespace: "shop",
  name: "api-allow",
  labels: { "app.kubernetes.io/part-of": "shop" },
  annotations: { "example.com/owner": "team-a" },
  spec: {
    podSelector: {
      matchLabels: { app: "api" },
      matchExpressions: [{ key: "track", operator: "NotIn", values: ["canary"] }],
    },
    policyTypes: ["Ingress", "Egress"],
    ingress: [
      {
        peers: [
          {
            podSelector: { matchLabels: { app: "frontend" }, matchExpressions: [] },
            namespaceSelector: {
              matchLabels: { "kubernetes.io/metadata.name": "web" },
              matchExpressions: [],
            },
          },
          { ipBlock: { cidr: "172.17.0.0/16", except: ["172.17.1.0/24"] } },
        ],
        ports: [
          { protocol: "TCP", port: 8080 },
          { protocol: "TCP", port: "metrics" },
        ],
      },
    ],
    egress: [
      {
        peers: [
          {
            podSelector: {
              matchLabels: {},
              matchExpressions: [{ key: "app", operator: "Exists", values: [] }],
            },
          },
        ],
        ports: [{ protocol: "UDP", port: 53 }],
      },
      {
        peers: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.169.254/32"] } }],
        ports: [{ protocol: "TCP", port: 30000, endPort: 32767 }],
      },
    ],
  },
};

describe("a full realistic NetworkPolicy", () => {
  test("normalizes to the model with every default applied", () => {
    assert.deepEqual(normalized(realistic), realisticNormalized);
  });

  test("renders back to an object that validates to the same policy", () => {
    assert.deepEqual(normalized(renderNetworkPolicy(realisticNormalized)), realisticNormalized);
  });
});
