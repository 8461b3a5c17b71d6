// Tests Namespace validation in its PUT body and bulk-apply object forms.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertOk, type Case, checkCase } from "./fixtures.ts";
import { validateNamespace, validateNamespaceObject } from "./namespace.ts";

const bodyCases: Case<[string, unknown]>[] = [
  { name: "a body with labels is accepted", input: ["prod", { labels: { team: "a" } }], expect: "ok" },
  { name: "an empty body is accepted", input: ["prod", {}], expect: "ok" },
  { name: "a missing body is accepted", input: ["prod", undefined], expect: "ok" },
  { name: "the name must be a DNS-1123 label", input: ["Prod", {}], expect: ["name", "dns1123_label"] },
  { name: "a dotted name is not a label", input: ["prod.eu", {}], expect: ["name", "dns1123_label"] },
  {
    name: "a name over 63 characters is too long",
    input: ["a".repeat(64), {}],
    expect: ["name", "too_long"],
  },
  {
    name: "label keys must be qualified names",
    input: ["prod", { labels: { "a b": "x" } }],
    expect: ['labels["a b"]', "qualified_name"],
  },
  {
    name: "label values must be label values",
    input: ["prod", { labels: { team: "a b" } }],
    expect: ["labels.team", "label_value"],
  },
  {
    name: "the name label may repeat the namespace name",
    input: ["prod", { labels: { "kubernetes.io/metadata.name": "prod" } }],
    expect: "ok",
  },
  {
    name: "the name label may not name another namespace",
    input: ["prod", { labels: { "kubernetes.io/metadata.name": "dev" } }],
    expect: ['labels["kubernetes.io/metadata.name"]', "namespace_name_label"],
  },
  {
    name: "an unknown body field is refused",
    input: ["prod", { name: "prod" }],
    expect: ["name", "unknown_field"],
  },
  { name: "the body must be an object", input: ["prod", "labels"], expect: ["", "invalid_type"] },
];

const objectCases: Case<unknown>[] = [
  {
    name: "a Namespace object is accepted",
    input: { apiVersion: "v1", kind: "Namespace", metadata: { name: "prod", labels: { team: "a" } } },
    expect: "ok",
  },
  {
    name: "an exported Namespace with spec, status and server fields is accepted",
    input: {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "prod", uid: "u", resourceVersion: "1", creationTimestamp: "2024-01-01T00:00:00Z" },
      spec: { finalizers: ["kubernetes"] },
      status: { phase: "Active" },
    },
    expect: "ok",
  },
  {
    name: "apiVersion is required",
    input: { kind: "Namespace", metadata: { name: "prod" } },
    expect: ["apiVersion", "required"],
  },
  {
    name: "apiVersion must be v1",
    input: { apiVersion: "core/v1", kind: "Namespace", metadata: { name: "prod" } },
    expect: ["apiVersion", "enum"],
  },
  {
    name: "kind must be Namespace",
    input: { apiVersion: "v1", kind: "Project", metadata: { name: "prod" } },
    expect: ["kind", "enum"],
  },
  {
    name: "metadata.name is required",
    input: { apiVersion: "v1", kind: "Namespace", metadata: {} },
    expect: ["metadata.name", "required"],
  },
  {
    name: "an empty metadata.name is required",
    input: { apiVersion: "v1", kind: "Namespace", metadata: { name: "" } },
    expect: ["metadata.name", "required"],
  },
  {
    name: "metadata.name must be a DNS-1123 label",
    input: { apiVersion: "v1", kind: "Namespace", metadata: { name: "a.b" } },
    expect: ["metadata.name", "dns1123_label"],
  },
  {
    name: "the name label may not name another namespace in the object form",
    input: {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "prod", labels: { "kubernetes.io/metadata.name": "x" } },
    },
    expect: ['metadata.labels["kubernetes.io/metadata.name"]', "namespace_name_label"],
  },
  {
    name: "an unknown field is refused",
    input: { apiVersion: "v1", kind: "Namespace", metadata: { name: "prod" }, data: {} },
    expect: ["data", "unknown_field"],
  },
];

describe("validateNamespace (PUT body)", () => {
  for (const { name, input, expect } of bodyCases)
    test(name, () => checkCase(validateNamespace(...input), expect));

  test("the name label is always set to the namespace name", () => {
    assert.deepEqual(assertOk(validateNamespace("prod", { labels: { team: "a" } })), {
      name: "prod",
      labels: { "kubernetes.io/metadata.name": "prod", team: "a" },
    });
  });
});

describe("validateNamespaceObject (bulk apply)", () => {
  for (const { name, input, expect } of objectCases)
    test(name, () => checkCase(validateNamespaceObject(input), expect));

  test("the object form normalizes like the body form", () => {
    const object = { apiVersion: "v1", kind: "Namespace", metadata: { name: "prod", labels: { team: "a" } } };
    assert.deepEqual(
      assertOk(validateNamespaceObject(object)),
      assertOk(validateNamespace("prod", { labels: { team: "a" } })),
    );
  });
});
