import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openTestDatabase } from "../db/testing.ts";
import { createDeps } from "./deps.ts";
import { createApp, MAX_BODY_BYTES } from "./server.ts";

const ADMIN = "test-admin-token";

function setup() {
  const database = openTestDatabase();
  const logs: Record<string, unknown>[] = [];
  const deps = createDeps(database, { adminToken: ADMIN, log: (l) => logs.push(l) });
  const store = deps.store;
  const app = createApp(deps);
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    opts: { token?: string | null; type?: string } = {},
  ) => {
    const headers: Record<string, string> = {};
    const token = opts.token === undefined ? ADMIN : opts.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = opts.type ?? "application/json";
    const res = await app.request(path, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: test answers are read field by field
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, body: json };
  };
  return { app, store, call, logs };
}

const denyAll = {
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "deny" },
  spec: { podSelector: {} },
};

async function seed(call: ReturnType<typeof setup>["call"]) {
  await call("PUT", "/v1/namespaces/x", { labels: { team: "blue" } });
  await call("PUT", "/v1/namespaces/y", { labels: {} });
  await call("PUT", "/v1/namespaces/x/endpoints/a", {
    labels: { app: "a" },
    node: "n1",
    interface: "veth-a",
    ips: ["10.1.0.1"],
    ports: [{ name: "http", port: 8080 }],
  });
  await call("PUT", "/v1/namespaces/y/endpoints/b", {
    labels: { app: "b" },
    node: "n1",
    interface: "veth-b",
    ips: ["10.1.0.2"],
    ports: [],
  });
}

describe("REST API", () => {
  it("refuses calls without a token (401) and writes with a read token (403)", async () => {
    const { call } = setup();
    assert.equal((await call("GET", "/v1/namespaces", undefined, { token: null })).status, 401);
    assert.equal(
      (await call("GET", "/v1/namespaces", undefined, { token: "nope" })).body.error.code,
      "auth.invalid_token",
    );
    const created = await call("POST", "/v1/tokens", { scope: "read", description: "ci" });
    assert.equal(created.status, 201);
    const read = created.body.token as string;
    assert.equal((await call("GET", "/v1/namespaces", undefined, { token: read })).status, 200);
    const put = await call("PUT", "/v1/namespaces/x", { labels: {} }, { token: read });
    assert.equal(put.status, 403);
    assert.equal((await call("GET", "/v1/tokens", undefined, { token: read })).status, 403);
    assert.equal((await call("DELETE", `/v1/tokens/${created.body.id}`)).status, 200);
    assert.equal((await call("GET", "/v1/namespaces", undefined, { token: read })).status, 401, "revoked");
    assert.equal((await call("GET", "/healthz", undefined, { token: null })).status, 200);
  });

  it("stores objects, answers each write with its revision, and reads them back", async () => {
    const { call } = setup();
    const ns = await call("PUT", "/v1/namespaces/x", { labels: { team: "blue" } });
    assert.equal(ns.status, 201);
    assert.deepEqual(ns.body, {
      name: "x",
      labels: { team: "blue", "kubernetes.io/metadata.name": "x" },
      revision: 1,
    });
    const replaced = await call("PUT", "/v1/namespaces/x", { labels: {} });
    assert.deepEqual([replaced.status, replaced.body.revision], [200, 2]);
    const yaml =
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny\nspec:\n  podSelector: {}\n";
    const pol = await call("PUT", "/v1/namespaces/x/networkpolicies/deny", yaml, {
      type: "application/yaml",
    });
    assert.equal(pol.status, 201);
    assert.deepEqual(pol.body.spec.policyTypes, ["Ingress"]);
    assert.equal(pol.body.revision, 3);
    const got = await call("GET", "/v1/namespaces/x/networkpolicies/deny?submitted=true");
    assert.deepEqual(got.body.submitted.spec, { podSelector: {} });
    assert.equal((await call("GET", "/v1/revision")).body.revision, 3);
    assert.equal((await call("GET", "/v1/namespaces/x/networkpolicies")).body.items.length, 1);
  });

  it("answers an invalid policy with 422 and every issue, and stores nothing", async () => {
    const { call, store } = setup();
    await call("PUT", "/v1/namespaces/x", { labels: {} });
    const bad = {
      ...denyAll,
      spec: {
        podSelector: {},
        ingress: [{ ports: [{ port: 0, protocol: "ICMP" }], from: [{ ipBlock: { cidr: "10.0.0.0/33" } }] }],
      },
    };
    const res = await call("PUT", "/v1/namespaces/x/networkpolicies/deny", bad);
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, "policy.invalid");
    const paths = res.body.error.issues.map((i: { path: string }) => i.path);
    for (const p of [
      "spec.ingress[0].ports[0].port",
      "spec.ingress[0].ports[0].protocol",
      "spec.ingress[0].from[0].ipBlock.cidr",
    ]) {
      assert.ok(paths.includes(p), `issue at ${p} in ${paths}`);
    }
    assert.equal(store.revision(), 1);
  });

  it("answers unparsable, oversized and misplaced input with 400, 413 and 404, never 500", async () => {
    const { call, logs } = setup();
    assert.equal((await call("PUT", "/v1/namespaces/x", "{nope")).status, 400);
    assert.equal((await call("PUT", "/v1/namespaces/x", "")).status, 400);
    assert.equal(
      (await call("PUT", "/v1/namespaces/x", "a: [", { type: "application/yaml" })).status,
      400,
      "namespaces take JSON only, and this body is not JSON",
    );
    assert.equal((await call("PUT", "/v1/namespaces/x", `"${"x".repeat(MAX_BODY_BYTES)}"`)).status, 413);
    const badYaml = await call("PUT", "/v1/namespaces/x/networkpolicies/p", "a: [", {
      type: "application/yaml",
    });
    assert.equal(badYaml.body.error.code, "request.invalid_yaml");
    const twice = "metadata:\n  name: p\n  labels:\n    a: x\n    b: y\n    a: z\n";
    const dup = await call("PUT", "/v1/namespaces/x/networkpolicies/p", twice, { type: "application/yaml" });
    assert.equal(dup.status, 400);
    assert.equal(dup.body.error.code, "request.invalid_yaml");
    assert.match(dup.body.error.message, /document 0: map keys must be unique; "a" is repeated/);
    const nested = "spec:\n  podSelector:\n    matchLabels: {app: web, app: db}\n";
    const dupFlow = await call("PUT", "/v1/namespaces/x/networkpolicies/p", nested, {
      type: "application/yaml",
    });
    assert.match(dupFlow.body.error.message, /"app" is repeated/);
    assert.equal((await call("PUT", "/v1/namespaces/nope/networkpolicies/deny", denyAll)).status, 404);
    assert.equal((await call("DELETE", "/v1/namespaces/nope")).status, 404);
    assert.equal((await call("GET", "/v1/whatever")).status, 404);
    assert.equal((await call("PUT", "/v1/namespaces/x", [1, 2])).status, 422);
    assert.equal(logs.filter((l) => l.level === "error").length, 0);
  });

  it("refuses an endpoint whose address another endpoint holds with 409", async () => {
    const { call } = setup();
    await seed(call);
    const res = await call("PUT", "/v1/namespaces/y/endpoints/c", {
      labels: {},
      node: "n1",
      interface: "veth-c",
      ips: ["10.1.0.1"],
      ports: [],
    });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, "endpoint.ip_conflict");
  });

  it("applies a bundle all or nothing, as one revision", async () => {
    const { call, store } = setup();
    const good = [
      { ...denyAll, metadata: { name: "deny", namespace: "z" } },
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "z", labels: { env: "prod" } } },
    ];
    const ok = await call("POST", "/v1/apply", good);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.revision, 1);
    assert.equal(ok.body.applied.length, 2);
    const bad = [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "w" } },
      { ...denyAll, metadata: { name: "BAD_NAME", namespace: "w" } },
    ];
    const refused = await call("POST", "/v1/apply", bad);
    assert.equal(refused.status, 422);
    assert.ok(
      refused.body.error.issues.some((i: { path: string }) => i.path.startsWith("[1].metadata.name")),
    );
    assert.equal(store.revision(), 1);
    const yamlBundle =
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: w}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: w}\nspec: {podSelector: {}}\n";
    assert.equal(
      (await call("POST", "/v1/apply", yamlBundle, { type: "application/yaml" })).body.revision,
      2,
    );
  });

  it("evaluates a flow with the policy and rule that decide it", async () => {
    const { call } = setup();
    await seed(call);
    const allowFromY = {
      ...denyAll,
      metadata: { name: "from-y" },
      spec: {
        podSelector: {},
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "y" } } }],
            ports: [{ port: "http" }],
          },
        ],
      },
    };
    await call("PUT", "/v1/namespaces/x/networkpolicies/from-y", allowFromY);
    const flow = (port: number) => ({
      source: { endpoint: { namespace: "y", name: "b" } },
      destination: { endpoint: { namespace: "x", name: "a" } },
      protocol: "TCP",
      port,
    });
    const allowed = await call("POST", "/v1/evaluate", flow(8080));
    assert.equal(allowed.body.verdict, "allow");
    assert.deepEqual(allowed.body.ingress.policy, {
      kind: "NetworkPolicy",
      namespace: "x",
      name: "from-y",
      ruleIndex: 0,
    });
    const denied = await call("POST", "/v1/evaluate", flow(9090));
    assert.equal(denied.body.verdict, "deny");
    assert.equal(denied.body.ingress.reason, "policy_denied");
    const bad = await call("POST", "/v1/evaluate", {
      source: { ip: "nope" },
      destination: { ip: "10.1.0.1" },
    });
    assert.equal(bad.status, 422);
    // An Admin tier Deny overrides the NetworkPolicy allow; a Pass before it hands back to it.
    const cnp = (priority: number, action: string) => ({
      spec: {
        tier: "Admin",
        priority,
        subject: { namespaces: { matchLabels: { "kubernetes.io/metadata.name": "x" } } },
        ingress: [{ name: `${action}-y`, action, from: [{ namespaces: {} }] }],
      },
    });
    await call("PUT", "/v1/clusternetworkpolicies/deny", cnp(20, "Deny"));
    const overridden = await call("POST", "/v1/evaluate", flow(8080));
    assert.equal(overridden.body.verdict, "deny");
    assert.equal(overridden.body.ingress.reason, "admin_denied");
    assert.deepEqual(overridden.body.ingress.policy, {
      kind: "ClusterNetworkPolicy",
      name: "deny",
      tier: "Admin",
      priority: 20,
      ruleIndex: 0,
      ruleName: "Deny-y",
      action: "Deny",
    });
    await call("PUT", "/v1/clusternetworkpolicies/pass", cnp(10, "Pass"));
    const passed = await call("POST", "/v1/evaluate", flow(8080));
    assert.equal(passed.body.verdict, "allow");
    assert.equal(passed.body.ingress.policy.name, "from-y");
    assert.equal(passed.body.ingress.passedBy.name, "pass");
  });

  it("describes itself in OpenAPI and exports metrics", async () => {
    const { call } = setup();
    await call("PUT", "/v1/namespaces/x", { labels: {} });
    const doc = await call("GET", "/openapi.json");
    assert.ok(doc.body.paths["/v1/namespaces/{ns}/networkpolicies/{name}"].put);
    assert.ok(doc.body.components.schemas.NetworkPolicy);
    const metrics = await call("GET", "/metrics");
    assert.match(metrics.body, /palisade_revision 1/);
    assert.match(
      metrics.body,
      /palisade_http_requests_total\{method="PUT",route="\/v1\/namespaces\/:name",status="201"\} 1/,
    );
    assert.match(metrics.body, /palisade_objects\{kind="namespaces"\} 1/);
  });
});
