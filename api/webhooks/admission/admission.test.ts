import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { denyAll, webhookTestApp } from "../testing.ts";

const review = (operation: string, object: unknown, extra: Record<string, unknown> = {}) => ({
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  request: {
    uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
    kind: { group: "networking.k8s.io", version: "v1", kind: "NetworkPolicy" },
    resource: { group: "networking.k8s.io", version: "v1", resource: "networkpolicies" },
    operation,
    namespace: "shop",
    name: "p",
    object,
    ...extra,
  },
});

/** As the API server sends it: server-set metadata fields included. */
const stored = (spec: unknown) => ({
  ...denyAll("shop", "p"),
  metadata: {
    namespace: "shop",
    name: "p",
    uid: "0b8f2c53-1111-2222-3333-444455556666",
    resourceVersion: "12345",
    generation: 1,
    creationTimestamp: "2026-11-26T12:00:00Z",
    managedFields: [{ manager: "kubectl", operation: "Update" }],
  },
  spec,
});

describe("Kubernetes admission", () => {
  it("allows a valid NetworkPolicy and echoes the request uid", async () => {
    const t = webhookTestApp();
    const res = await t.call(
      "POST",
      "/v1/admission/validate",
      review("CREATE", stored({ podSelector: {}, policyTypes: ["Ingress"] })),
    );
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: "705ab4f5-6393-11e8-b7cc-42010a800002", allowed: true },
    });
  });

  it("denies an invalid NetworkPolicy, listing each issue as path: message", async () => {
    const t = webhookTestApp();
    const spec = {
      podSelector: {},
      ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/33" } }], ports: [{ port: 70000 }] }],
    };
    const res = await t.call("POST", "/v1/admission/validate", review("UPDATE", stored(spec)));
    assert.equal(res.status, 200);
    const r = res.body.response;
    assert.equal(r.uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
    assert.equal(r.allowed, false);
    assert.equal(r.status.code, 422);
    assert.match(r.status.message, /spec\.ingress\[0\]\.from\[0\]\.ipBlock\.cidr: /);
    assert.match(r.status.message, /spec\.ingress\[0\]\.ports\[0\]\.port: /);
    assert.equal(t.deps.store.revision(), 0, "admission stores nothing");
  });

  it("allows DELETE and other kinds without validating them", async () => {
    const t = webhookTestApp();
    const del = await t.call(
      "POST",
      "/v1/admission/validate",
      review("DELETE", null, { oldObject: stored({}) }),
    );
    assert.equal(del.body.response.allowed, true);
    const other = await t.call(
      "POST",
      "/v1/admission/validate",
      review("CREATE", { kind: "ConfigMap" }, { kind: { group: "", version: "v1", kind: "ConfigMap" } }),
    );
    assert.equal(other.body.response.allowed, true);
    assert.equal(other.body.response.warnings.length, 1);
  });

  it("takes the namespace from the request when the object leaves it out", async () => {
    const t = webhookTestApp();
    const object = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "p" },
      spec: { podSelector: {} },
    };
    const res = await t.call("POST", "/v1/admission/validate", review("CREATE", object));
    assert.equal(res.body.response.allowed, true, JSON.stringify(res.body));
  });

  it("accepts a read-scoped token, refuses a missing one, and answers 400 to a body that is no AdmissionReview", async () => {
    const t = webhookTestApp();
    const read = await t.call("POST", "/v1/tokens", { scope: "read" });
    const body = review("CREATE", stored({ podSelector: {} }));
    const ok = await t.call("POST", "/v1/admission/validate", body, { token: read.body.token });
    assert.equal(ok.status, 200);
    const anonymous = await t.call("POST", "/v1/admission/validate", body, { token: null });
    assert.equal(anonymous.status, 401);
    const bad = await t.call("POST", "/v1/admission/validate", { kind: "Pod" });
    assert.deepEqual([bad.status, bad.body.error.code], [400, "admission.invalid_review"]);
    const noUid = await t.call("POST", "/v1/admission/validate", {
      ...body,
      request: { ...body.request, uid: "" },
    });
    assert.equal(noUid.body.error.code, "admission.invalid_review");
  });
});
