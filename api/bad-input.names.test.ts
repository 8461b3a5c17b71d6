// Bad names in URLs, bodies that disagree with their URL, huge label maps, and route-specific
// refusals (multi-document YAML, bundle limits, missing namespaces): 4xx with stable codes.
import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { MAX_BUNDLE_DOCUMENTS } from "./apply/intake.ts";
import { seedRouteFixtures } from "./bad-input.cases.ts";
import { MAX_ISSUES } from "./http/errors.ts";
import { MAX_BODY_DEPTH } from "./http/nesting.ts";
import { createTestApp, expectRefused, type TestApp } from "./testing.ts";

let t: TestApp;
beforeEach(async () => {
  t = createTestApp();
  await seedRouteFixtures(t.call);
});

const json = (value: unknown) => JSON.stringify(value);
const deny = (metadata: Record<string, unknown> = {}) =>
  json({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata, spec: { podSelector: {} } });
const endpointBody = json({ labels: {}, node: "n1", interface: "veth-e", ips: ["10.1.0.9"], ports: [] });
const LONG_LABEL = "a".repeat(64);

describe("invalid names in the URL", () => {
  it("answers a namespace PUT with an invalid or over-long name with 422 at name", async () => {
    const cases = [
      ["Bad_Name", "dns1123_label"],
      [LONG_LABEL, "too_long"],
      ["%ZZ", "dns1123_label"],
      ["caf%C3%A9", "dns1123_label"],
      ["a%2Fb", "dns1123_label"],
      ["-x", "dns1123_label"],
    ] as const;
    for (const [name, rule] of cases)
      await expectRefused(
        t,
        { method: "PUT", path: `/v1/namespaces/${name}`, body: json({ labels: {} }) },
        { status: 422, code: "namespace.invalid", issuePath: "name", issueRule: rule },
      );
  });

  it("answers an endpoint PUT with an invalid namespace or name with 422 at namespace or name", async () => {
    await expectRefused(
      t,
      { method: "PUT", path: "/v1/namespaces/Bad_Name/endpoints/e", body: endpointBody },
      { status: 422, code: "endpoint.invalid", issuePath: "namespace", issueRule: "dns1123_label" },
    );
    await expectRefused(
      t,
      { method: "PUT", path: "/v1/namespaces/x/endpoints/Bad_Name", body: endpointBody },
      { status: 422, code: "endpoint.invalid", issuePath: "name", issueRule: "dns1123_subdomain" },
    );
  });

  it("answers a policy PUT with an invalid namespace or name in the URL with 422 at metadata", async () => {
    await expectRefused(
      t,
      { method: "PUT", path: "/v1/namespaces/Bad_Name/networkpolicies/p", body: deny() },
      { status: 422, code: "policy.invalid", issuePath: "metadata.namespace", issueRule: "dns1123_label" },
    );
    await expectRefused(
      t,
      { method: "PUT", path: `/v1/namespaces/x/networkpolicies/${"a".repeat(254)}`, body: deny() },
      { status: 422, code: "policy.invalid", issuePath: "metadata.name", issueRule: "too_long" },
    );
  });

  it("answers GET and DELETE of an invalid name with 404 not_found", async () => {
    const cases = [
      ["/v1/namespaces/Bad_Name", "namespace.not_found"],
      ["/v1/namespaces/x/endpoints/Bad_Name", "endpoint.not_found"],
      ["/v1/namespaces/x/networkpolicies/Bad_Name", "networkpolicy.not_found"],
      ["/v1/tokens/Bad_Name", "token.not_found"],
    ] as const;
    for (const [path, code] of cases) {
      if (!path.startsWith("/v1/tokens"))
        await expectRefused(t, { method: "GET", path }, { status: 404, code });
      await expectRefused(t, { method: "DELETE", path }, { status: 404, code });
    }
  });
});

describe("bodies that disagree with their URL", () => {
  it("answers a policy whose metadata.name or metadata.namespace differs from the URL with 422 mismatch", async () => {
    await expectRefused(
      t,
      { method: "PUT", path: "/v1/namespaces/x/networkpolicies/p", body: deny({ name: "q" }) },
      { status: 422, code: "policy.invalid", issuePath: "metadata.name", issueRule: "name_mismatch" },
    );
    await expectRefused(
      t,
      { method: "PUT", path: "/v1/namespaces/x/networkpolicies/p", body: deny({ namespace: "y" }) },
      {
        status: 422,
        code: "policy.invalid",
        issuePath: "metadata.namespace",
        issueRule: "namespace_mismatch",
      },
    );
  });

  it("answers a namespace whose metadata.name label names another namespace with 422", async () => {
    await expectRefused(
      t,
      {
        method: "PUT",
        path: "/v1/namespaces/y",
        body: json({ labels: { "kubernetes.io/metadata.name": "other" } }),
      },
      {
        status: 422,
        code: "namespace.invalid",
        issuePath: 'labels["kubernetes.io/metadata.name"]',
        issueRule: "namespace_name_label",
      },
    );
  });

  it("accepts the server-managed metadata fields that Kubernetes clients send back", async () => {
    const metadata = { name: "p", uid: "u", resourceVersion: "7", managedFields: [{ manager: "kubectl" }] };
    const res = await t.call("PUT", "/v1/namespaces/x/networkpolicies/p", deny(metadata));
    assert.equal(res.status, 201, json(res.body));
  });

  it(`stores an ignored metadata field nested ${MAX_BODY_DEPTH} levels and refuses one level more with 400`, async () => {
    const managed = (depth: number) => `${"[".repeat(depth - 2)}${"]".repeat(depth - 2)}`;
    const body = (depth: number) =>
      `{"metadata":{"managedFields":${managed(depth)}},"spec":{"podSelector":{}}}`;
    assert.equal(
      (await t.call("PUT", "/v1/namespaces/x/networkpolicies/p", body(MAX_BODY_DEPTH))).status,
      201,
    );
    await expectRefused(
      t,
      { method: "PUT", path: "/v1/namespaces/x/networkpolicies/p", body: body(MAX_BODY_DEPTH + 1) },
      { status: 400, code: "request.too_deep" },
    );
  });
});

describe("huge label maps", () => {
  const labels = (count: number, key: (i: number) => string) =>
    Object.fromEntries(Array.from({ length: count }, (_, i) => [key(i), "v"]));

  it("answers 100,000 invalid label keys with one 422 issue for the count, before any key is checked", async () => {
    // Issue 10: the count limit is checked first, so a huge map costs a count, not 100,000 checks.
    const res = await expectRefused(
      t,
      { method: "PUT", path: "/v1/namespaces/y", body: json({ labels: labels(100_000, (i) => `-k${i}`) }) },
      { status: 422, code: "namespace.invalid", issuePath: "labels", issueRule: "too_many_labels" },
    );
    assert.equal(res.body.error.issues.length, 1);
    assert.match(res.body.error.issues[0].message, /100000 keys/);
  });

  it("answers a policy's huge matchLabels with one 422 issue for the count", async () => {
    const spec = { podSelector: { matchLabels: labels(50_000, (i) => `k${i}/`) } };
    const res = await expectRefused(
      t,
      { method: "PUT", path: "/v1/namespaces/x/networkpolicies/p", body: json({ spec }) },
      {
        status: 422,
        code: "policy.invalid",
        issuePath: "spec.podSelector.matchLabels",
        issueRule: "too_many_labels",
      },
    );
    assert.equal(res.body.error.issues.length, 1);
  });

  it(`lists the first ${MAX_ISSUES} issues of a body with more, and the count`, async () => {
    // Within every limit: 2 rules x 128 peers, each with an invalid CIDR, is 256 issues.
    const rule = { from: Array.from({ length: 128 }, (_, i) => ({ ipBlock: { cidr: `10.0.${i}.300/32` } })) };
    const spec = { podSelector: {}, ingress: [rule, rule] };
    const res = await expectRefused(
      t,
      { method: "PUT", path: "/v1/namespaces/x/networkpolicies/p", body: json({ spec }) },
      { status: 422, code: "policy.invalid", issuePath: "spec.ingress[0].from[0].ipBlock.cidr" },
    );
    assert.equal(res.body.error.issues.length, MAX_ISSUES);
    assert.equal(res.body.error.details.issueCount, 256);
    assert.match(res.body.error.message, /and 255 more issues/);
  });

  it("answers a label value over 63 characters with 422 at that label", async () => {
    await expectRefused(
      t,
      { method: "PUT", path: "/v1/namespaces/y", body: json({ labels: { team: LONG_LABEL } }) },
      { status: 422, code: "namespace.invalid", issuePath: "labels.team" },
    );
  });

  it("refuses a namespace with 20,000 valid labels: at most 64 labels per object (issue 10)", async () => {
    await expectRefused(
      t,
      { method: "PUT", path: "/v1/namespaces/y", body: json({ labels: labels(20_000, (i) => `k${i}`) }) },
      { status: 422, code: "namespace.invalid", issuePath: "labels", issueRule: "too_many_labels" },
    );
  });
});

describe("route-specific refusals", () => {
  it("answers a policy PUT with two YAML documents, or none, with 400 request.invalid_body", async () => {
    const doc =
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}}\n";
    for (const body of [`${doc}---\n${doc}`, "---\n---\n", "~\n"])
      await expectRefused(
        t,
        { method: "PUT", path: "/v1/namespaces/x/networkpolicies/p", body, type: "application/yaml" },
        { status: 400, code: "request.invalid_body" },
      );
  });

  it("answers a policy or an endpoint in a namespace that does not exist with 404", async () => {
    await expectRefused(
      t,
      { method: "PUT", path: "/v1/namespaces/nope/networkpolicies/p", body: deny() },
      { status: 404, code: "namespace.not_found" },
    );
    await expectRefused(
      t,
      { method: "PUT", path: "/v1/namespaces/nope/endpoints/e", body: endpointBody },
      { status: 404, code: "namespace.not_found" },
    );
  });

  it(`answers a bundle of more than ${MAX_BUNDLE_DOCUMENTS} documents with 413 apply.too_many_documents`, async () => {
    const body = json(Array.from({ length: MAX_BUNDLE_DOCUMENTS + 1 }, () => ({})));
    await expectRefused(
      t,
      { method: "POST", path: "/v1/apply", body },
      { status: 413, code: "apply.too_many_documents" },
    );
  });

  it("answers a bundle naming one object twice, or an unknown kind, with 422 at that document", async () => {
    const ns = { apiVersion: "v1", kind: "Namespace", metadata: { name: "z" } };
    await expectRefused(
      t,
      { method: "POST", path: "/v1/apply", body: json([ns, ns]) },
      { status: 422, code: "apply.invalid", issuePath: "[1]", issueRule: "duplicate" },
    );
    await expectRefused(
      t,
      { method: "POST", path: "/v1/apply", body: json([ns, { apiVersion: "v1", kind: "Pod" }]) },
      { status: 422, code: "apply.invalid", issuePath: "[1].kind", issueRule: "enum" },
    );
  });

  it("applies nothing when one document of a bundle names a missing namespace (404)", async () => {
    const body = json([
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "z" } },
      JSON.parse(deny({ name: "p", namespace: "nope" })),
    ]);
    await expectRefused(
      t,
      { method: "POST", path: "/v1/apply", body },
      { status: 404, code: "namespace.not_found" },
    );
  });

  it("answers an evaluation of an endpoint that does not exist with 404 endpoint.not_found", async () => {
    const body = json({
      source: { endpoint: { namespace: "x", name: "ghost" } },
      destination: { ip: "10.1.0.1" },
    });
    await expectRefused(
      t,
      { method: "POST", path: "/v1/evaluate", body },
      { status: 404, code: "endpoint.not_found" },
    );
  });
});
