// Tests the NetworkPolicy object rules: type meta, metadata, URL name and namespace, strict fields.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertIssue, assertOk, basePolicy, type Case, checkCase } from "./fixtures.ts";
import type { NetworkPolicyValidationOptions } from "./network-policy.ts";
import { validateNetworkPolicy } from "./network-policy.ts";

type Input = { object: Record<string, unknown>; opts?: NetworkPolicyValidationOptions };

function withMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
  return { ...basePolicy(), metadata };
}

function without(field: string): Record<string, unknown> {
  const object = basePolicy();
  delete object[field];
  return object;
}

const cases: Case<Input>[] = [
  { name: "a complete object is accepted", input: { object: basePolicy() }, expect: "ok" },
  {
    name: "a wrong apiVersion is refused",
    input: { object: { ...basePolicy(), apiVersion: "networking.k8s.io/v1beta1" } },
    expect: ["apiVersion", "enum"],
  },
  {
    name: "a wrong kind is refused",
    input: { object: { ...basePolicy(), kind: "Policy" } },
    expect: ["kind", "enum"],
  },
  {
    name: "apiVersion is required by default (bulk apply)",
    input: { object: without("apiVersion") },
    expect: ["apiVersion", "required"],
  },
  {
    name: "kind is required by default (bulk apply)",
    input: { object: without("kind") },
    expect: ["kind", "required"],
  },
  {
    name: "apiVersion and kind may be left out when the caller allows it (PUT)",
    input: {
      object: { metadata: { name: "web", namespace: "prod" }, spec: { podSelector: {} } },
      opts: { requireTypeMeta: false },
    },
    expect: "ok",
  },
  {
    name: "apiVersion is still checked when present and not required",
    input: { object: { ...basePolicy(), apiVersion: "v1" }, opts: { requireTypeMeta: false } },
    expect: ["apiVersion", "enum"],
  },
  {
    name: "metadata.name is required without a URL name",
    input: { object: withMetadata({ namespace: "prod" }) },
    expect: ["metadata.name", "required"],
  },
  {
    name: "an empty metadata.name counts as absent",
    input: { object: withMetadata({ name: "", namespace: "prod" }) },
    expect: ["metadata.name", "required"],
  },
  {
    name: "metadata.name must be a DNS-1123 subdomain",
    input: { object: withMetadata({ name: "Web_1", namespace: "prod" }) },
    expect: ["metadata.name", "dns1123_subdomain"],
  },
  {
    name: "metadata.name may be a dotted subdomain",
    input: { object: withMetadata({ name: "web.v1", namespace: "prod" }) },
    expect: "ok",
  },
  {
    name: "metadata.name longer than 253 characters is too long",
    input: { object: withMetadata({ name: "a".repeat(254), namespace: "prod" }) },
    expect: ["metadata.name", "too_long"],
  },
  {
    name: "metadata.name must equal the URL name",
    input: { object: basePolicy(), opts: { name: "api" } },
    expect: ["metadata.name", "name_mismatch"],
  },
  {
    name: "metadata.name equal to the URL name is accepted",
    input: { object: basePolicy(), opts: { name: "web", namespace: "prod" } },
    expect: "ok",
  },
  {
    name: "an absent metadata.name is taken from the URL",
    input: { object: withMetadata({ namespace: "prod" }), opts: { name: "web" } },
    expect: "ok",
  },
  {
    name: "a name taken from the URL is validated too",
    input: { object: withMetadata({ namespace: "prod" }), opts: { name: "Bad_Name" } },
    expect: ["metadata.name", "dns1123_subdomain"],
  },
  {
    name: "metadata.namespace is required without a URL namespace",
    input: { object: withMetadata({ name: "web" }) },
    expect: ["metadata.namespace", "required"],
  },
  {
    name: "metadata.namespace must be a DNS-1123 label (no dots)",
    input: { object: withMetadata({ name: "web", namespace: "prod.eu" }) },
    expect: ["metadata.namespace", "dns1123_label"],
  },
  {
    name: "metadata.namespace longer than 63 characters is too long",
    input: { object: withMetadata({ name: "web", namespace: "a".repeat(64) }) },
    expect: ["metadata.namespace", "too_long"],
  },
  {
    name: "metadata.namespace must equal the URL namespace",
    input: { object: basePolicy(), opts: { namespace: "dev" } },
    expect: ["metadata.namespace", "namespace_mismatch"],
  },
  {
    name: "an absent metadata.namespace is taken from the URL",
    input: { object: withMetadata({ name: "web" }), opts: { namespace: "dev" } },
    expect: "ok",
  },
  {
    name: "the whole metadata may be absent when the URL names the object",
    input: {
      object: { spec: { podSelector: {} } },
      opts: { name: "web", namespace: "prod", requireTypeMeta: false },
    },
    expect: "ok",
  },
  {
    name: "labels with prefixed keys and empty values are accepted",
    input: {
      object: withMetadata({
        name: "web",
        namespace: "prod",
        labels: { "example.com/app": "", tier: "Front_1" },
      }),
    },
    expect: "ok",
  },
  {
    name: "a label key must be a qualified name",
    input: { object: withMetadata({ name: "web", namespace: "prod", labels: { "bad key": "x" } }) },
    expect: ['metadata.labels["bad key"]', "qualified_name"],
  },
  {
    name: "a label value must match the label value format",
    input: { object: withMetadata({ name: "web", namespace: "prod", labels: { app: "-web" } }) },
    expect: ["metadata.labels.app", "label_value"],
  },
  {
    name: "a label value longer than 63 characters is too long",
    input: { object: withMetadata({ name: "web", namespace: "prod", labels: { app: "a".repeat(64) } }) },
    expect: ["metadata.labels.app", "too_long"],
  },
  {
    name: "a label value must be a string",
    input: { object: withMetadata({ name: "web", namespace: "prod", labels: { replicas: 3 } }) },
    expect: ["metadata.labels.replicas", "invalid_type"],
  },
  {
    name: "annotation keys are compared case-insensitively and values are free text",
    input: {
      object: withMetadata({
        name: "web",
        namespace: "prod",
        annotations: { "Example.COM/Note": "any text: here!" },
      }),
    },
    expect: "ok",
  },
  {
    name: "an annotation key must be a qualified name",
    input: { object: withMetadata({ name: "web", namespace: "prod", annotations: { "a b": "x" } }) },
    expect: ['metadata.annotations["a b"]', "qualified_name"],
  },
  {
    name: "annotations over 256 KiB in total are too long",
    input: {
      object: withMetadata({ name: "web", namespace: "prod", annotations: { note: "x".repeat(256 * 1024) } }),
    },
    expect: ["metadata.annotations", "too_long"],
  },
  {
    name: "server-managed metadata fields are accepted and ignored",
    input: {
      object: withMetadata({
        name: "web",
        namespace: "prod",
        uid: "0b8d-11",
        resourceVersion: "42",
        generation: 3,
        creationTimestamp: null,
        managedFields: [{ manager: "kubectl" }],
      }),
    },
    expect: "ok",
  },
  {
    name: "an unknown metadata field is refused",
    input: { object: withMetadata({ name: "web", namespace: "prod", owner: "me" }) },
    expect: ["metadata.owner", "unknown_field"],
  },
  {
    name: "an unknown top-level field is refused",
    input: { object: { ...basePolicy(), status: {} } },
    expect: ["status", "unknown_field"],
  },
  { name: "spec is required", input: { object: without("spec") }, expect: ["spec", "required"] },
  {
    name: "the input must be an object",
    input: { object: [] as unknown as Record<string, unknown> },
    expect: ["", "invalid_type"],
  },
];

describe("NetworkPolicy object and metadata", () => {
  for (const { name, input, expect } of cases) {
    test(name, () => checkCase(validateNetworkPolicy(input.object, input.opts), expect));
  }

  test("name and namespace from the URL end up in the normalized policy", () => {
    const policy = assertOk(
      validateNetworkPolicy(
        { spec: { podSelector: {} } },
        { name: "web", namespace: "dev", requireTypeMeta: false },
      ),
    );
    assert.equal(policy.name, "web");
    assert.equal(policy.namespace, "dev");
  });

  test("labels and annotations are kept and ignored metadata fields are dropped", () => {
    const object = withMetadata({
      name: "web",
      namespace: "prod",
      labels: { b: "2", a: "1" },
      annotations: { note: "x" },
      uid: "u",
    });
    const policy = assertOk(validateNetworkPolicy(object));
    assert.deepEqual(policy.labels, { a: "1", b: "2" });
    assert.deepEqual(policy.annotations, { note: "x" });
    assert.deepEqual(Object.keys(policy).sort(), ["annotations", "labels", "name", "namespace", "spec"]);
  });

  test("a mismatch message names the field, the rule and both values", () => {
    const issue = assertIssue(
      validateNetworkPolicy(basePolicy(), { name: "api" }),
      "metadata.name",
      "name_mismatch",
    );
    assert.equal(issue.value, "web");
    assert.match(
      issue.message,
      /^Field metadata\.name must equal the value in the URL \("api"\).*received "web"\.$/,
    );
  });
});
