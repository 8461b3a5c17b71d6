// Tests the published JSON Schemas against the formats the validators enforce.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { patterns } from "./formats.ts";
import { jsonSchemas } from "./json-schemas.ts";

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; required?: string[] };

/** Follows `anyOf: [X, {type: "null"}]` wrappers of optional (nullish) fields. */
function unwrap(schema: Schema | undefined): Schema {
  assert.ok(schema);
  const anyOf = schema.anyOf as Schema[] | undefined;
  if (anyOf && anyOf.length === 2 && anyOf[1]!.type === "null") return unwrap(anyOf[0]);
  return schema;
}

function at(schema: Schema, ...path: string[]): Schema {
  return path.reduce((s, key) => unwrap(unwrap(s).properties?.[key]), schema);
}

describe("JSON Schemas for OpenAPI", () => {
  test("every published schema is a draft 2020-12 closed object", () => {
    assert.deepEqual(Object.keys(jsonSchemas).sort(), [
      "ClusterNetworkPolicy",
      "EndpointBody",
      "Namespace",
      "NamespaceBody",
      "NetworkPolicy",
    ]);
    for (const [name, schema] of Object.entries(jsonSchemas) as [string, Schema][]) {
      assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema", name);
      assert.equal(schema.type, "object", name);
      assert.equal(schema.additionalProperties, false, name);
    }
  });

  test("the NetworkPolicy schema requires spec.podSelector and rejects unknown spec fields", () => {
    const spec = at(jsonSchemas.NetworkPolicy as Schema, "spec");
    assert.deepEqual(spec.required, ["podSelector"]);
    assert.equal(spec.additionalProperties, false);
  });

  test("the NetworkPolicy schema documents the same name and label formats the validator checks", () => {
    const metadata = at(jsonSchemas.NetworkPolicy as Schema, "metadata");
    assert.match(JSON.stringify(metadata.properties?.name), /a-z0-9/);
    const labels = at(metadata, "labels");
    assert.equal((labels.propertyNames as Schema).pattern, patterns.qualifiedName);
  });

  test("the port schema documents numbers 1-65535 and IANA service names", () => {
    const ports = at(jsonSchemas.NetworkPolicy as Schema, "spec", "ingress");
    const text = JSON.stringify(ports);
    assert.match(text, /"maximum":65535/);
    assert.ok(text.includes(JSON.stringify(patterns.ianaSvcName)));
  });

  test("the ClusterNetworkPolicy schema requires tier, priority and subject and bounds the priority", () => {
    const spec = at(jsonSchemas.ClusterNetworkPolicy as Schema, "spec");
    assert.deepEqual(spec.required, ["tier", "priority", "subject"]);
    assert.equal(spec.additionalProperties, false);
    assert.match(JSON.stringify(spec.properties?.priority), /"maximum":1000/);
  });

  test("the endpoint body schema requires node, interface and ips", () => {
    assert.deepEqual((jsonSchemas.EndpointBody as Schema).required, ["node", "interface", "ips"]);
  });

  test("the Namespace schema requires apiVersion, kind and metadata", () => {
    assert.deepEqual((jsonSchemas.Namespace as Schema).required, ["apiVersion", "kind", "metadata"]);
  });
});
