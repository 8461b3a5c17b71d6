// Test fixture: every route that reads a body, with a valid body and the bad variations whose
// answers bad-input.test.ts and bad-input.property.test.ts check.
import type { Call } from "./testing.ts";

export interface BadField {
  body: unknown;
  /** The path of the issue the 422 must carry. */
  path: string;
  rule: string;
}

export interface BodyRoute {
  label: string;
  method: "PUT" | "POST";
  path: string;
  /** Prefix of the 422 code: `<kind>.invalid`. */
  kind: string;
  /** Whether the route reads YAML when the Content-Type says so. */
  yaml: boolean;
  /** A bundle route reads a JSON list (or one value) as documents, so scalars fail per document. */
  bundle: boolean;
  valid: unknown;
  wrongTypes: BadField[];
  unknownFields: BadField[];
}

const policy = (spec: unknown, metadata: Record<string, unknown> = { name: "p" }) => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata,
  spec,
});
const endpoint = {
  labels: { app: "e" },
  node: "n1",
  interface: "veth-e",
  ips: ["10.1.0.9"],
  ports: [{ name: "http", port: 80 }],
};
const namespaceDoc = (extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name: "z" },
  ...extra,
});
const evaluate = {
  source: { ip: "10.9.9.9" },
  destination: { endpoint: { namespace: "x", name: "a" } },
  protocol: "TCP",
  port: 80,
};

export const BODY_ROUTES: BodyRoute[] = [
  {
    label: "PUT /v1/namespaces/{name}",
    method: "PUT",
    path: "/v1/namespaces/y",
    kind: "namespace",
    yaml: false,
    bundle: false,
    valid: { labels: { team: "blue" } },
    wrongTypes: [
      { body: { labels: "blue" }, path: "labels", rule: "invalid_type" },
      { body: { labels: ["team"] }, path: "labels", rule: "invalid_type" },
      { body: { labels: { team: 5 } }, path: "labels.team", rule: "invalid_type" },
    ],
    unknownFields: [{ body: { labels: {}, annotations: {} }, path: "annotations", rule: "unknown_field" }],
  },
  {
    label: "PUT /v1/namespaces/{ns}/endpoints/{name}",
    method: "PUT",
    path: "/v1/namespaces/x/endpoints/e",
    kind: "endpoint",
    yaml: false,
    bundle: false,
    valid: endpoint,
    wrongTypes: [
      { body: { ...endpoint, ips: "10.1.0.9" }, path: "ips", rule: "invalid_type" },
      { body: { ...endpoint, node: 5 }, path: "node", rule: "invalid_type" },
      { body: { ...endpoint, ports: [{ port: "80" }] }, path: "ports[0].port", rule: "invalid_type" },
      { body: { ...endpoint, labels: { app: true } }, path: "labels.app", rule: "invalid_type" },
    ],
    unknownFields: [{ body: { ...endpoint, hostNetwork: true }, path: "hostNetwork", rule: "unknown_field" }],
  },
  {
    label: "PUT /v1/namespaces/{ns}/networkpolicies/{name}",
    method: "PUT",
    path: "/v1/namespaces/x/networkpolicies/p",
    kind: "policy",
    yaml: true,
    bundle: false,
    valid: policy({ podSelector: {} }),
    wrongTypes: [
      { body: policy([]), path: "spec", rule: "invalid_type" },
      { body: policy({ podSelector: "all" }), path: "spec.podSelector", rule: "invalid_type" },
      { body: policy({ podSelector: {}, ingress: {} }), path: "spec.ingress", rule: "invalid_type" },
      {
        body: policy({ podSelector: {}, ingress: [{ ports: [{ port: true }] }] }),
        path: "spec.ingress[0].ports[0].port",
        rule: "invalid_type",
      },
      { body: policy({ podSelector: {} }, { labels: [] }), path: "metadata.labels", rule: "invalid_type" },
    ],
    unknownFields: [
      { body: policy({ podSelectr: {} }), path: "spec.podSelectr", rule: "unknown_field" },
      { body: policy({ podSelector: {} }, { lables: {} }), path: "metadata.lables", rule: "unknown_field" },
      {
        body: policy({ podSelector: {}, ingress: [{ fromm: [] }] }),
        path: "spec.ingress[0].fromm",
        rule: "unknown_field",
      },
    ],
  },
  {
    label: "POST /v1/apply",
    method: "POST",
    path: "/v1/apply",
    kind: "apply",
    yaml: true,
    bundle: true,
    valid: [namespaceDoc()],
    wrongTypes: [
      {
        body: [{ ...namespaceDoc(), metadata: { name: 5 } }],
        path: "[0].metadata.name",
        rule: "invalid_type",
      },
      {
        body: [{ ...policy({ podSelector: 1 }), metadata: { name: "p", namespace: "x" } }],
        path: "[0].spec.podSelector",
        rule: "invalid_type",
      },
    ],
    unknownFields: [
      { body: [namespaceDoc({ spec: { foo: 1 } })], path: "[0].spec.foo", rule: "unknown_field" },
      {
        body: [{ ...policy({ podSelector: {} }, { name: "p", namespace: "x" }), specs: {} }],
        path: "[0].specs",
        rule: "unknown_field",
      },
    ],
  },
  {
    label: "POST /v1/evaluate",
    method: "POST",
    path: "/v1/evaluate",
    kind: "evaluate",
    yaml: false,
    bundle: false,
    valid: evaluate,
    wrongTypes: [
      { body: { ...evaluate, port: "80" }, path: "port", rule: "invalid_type" },
      { body: { ...evaluate, protocol: 6 }, path: "protocol", rule: "enum" },
      { body: { ...evaluate, source: "10.0.0.1" }, path: "source", rule: "invalid_type" },
    ],
    unknownFields: [{ body: { ...evaluate, verbose: true }, path: "verbose", rule: "unknown_field" }],
  },
  {
    label: "POST /v1/tokens",
    method: "POST",
    path: "/v1/tokens",
    kind: "token",
    yaml: false,
    bundle: false,
    valid: { scope: "read", description: "ci" },
    wrongTypes: [
      { body: { scope: 1 }, path: "scope", rule: "enum" },
      { body: { scope: "read", description: 7 }, path: "description", rule: "invalid_type" },
    ],
    unknownFields: [{ body: { scope: "read", ttl: 60 }, path: "ttl", rule: "unknown_field" }],
  },
];

/** Namespace x holding endpoint a, so endpoint, policy and evaluate bodies have something to refer to. */
export async function seedRouteFixtures(call: Call): Promise<void> {
  for (const [path, body] of [
    ["/v1/namespaces/x", { labels: {} }],
    [
      "/v1/namespaces/x/endpoints/a",
      { labels: { app: "a" }, node: "n1", interface: "veth-a", ips: ["10.1.0.1"], ports: [] },
    ],
  ] as const) {
    const res = await call("PUT", path, JSON.stringify(body));
    if (res.status !== 201) throw new Error(`seeding ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}
