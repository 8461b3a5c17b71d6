// Tests how NetworkPolicy issues are reported: all together, as sentences, bounded in size.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { basePolicy, policyWithIngress } from "./fixtures.ts";
import { validateNetworkPolicy } from "./network-policy.ts";

describe("issue reporting", () => {
  test("every issue of an object is reported together, not only the first", () => {
    const result = validateNetworkPolicy({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "Bad", namespace: "prod", extra: 1 },
      spec: {
        podSelector: { matchLabels: { "bad key": "v" } },
        ingress: [
          {
            from: [{}, { ipBlock: { cidr: "10.0.0.0/8", except: ["11.0.0.0/8"] } }],
            ports: [{ port: "80", protocol: "ICMP" }],
          },
        ],
        egress: [{ to: [{ ipBlock: { cidr: "nope" }, podSelector: {} }] }],
        policyTypes: ["Ingress", "Ingress"],
      },
    });
    assert.equal(result.ok, false);
    if (result.ok) return;
    const found = result.issues.map((i) => `${i.path} ${i.rule}`).sort();
    assert.deepEqual(
      found,
      [
        "metadata.extra unknown_field",
        "metadata.name dns1123_subdomain",
        'spec.podSelector.matchLabels["bad key"] qualified_name',
        "spec.ingress[0].from[0] empty_peer",
        "spec.ingress[0].from[1].ipBlock.except[0] except_not_in_cidr",
        "spec.ingress[0].ports[0].port iana_svc_name",
        "spec.ingress[0].ports[0].protocol enum",
        "spec.egress[0].to[0].ipBlock.cidr cidr",
        "spec.egress[0].to[0] ip_block_with_selector",
        "spec.policyTypes[1] duplicate",
      ].sort(),
    );
  });

  test("every message is a sentence naming the field and the value received", () => {
    const result = validateNetworkPolicy(policyWithIngress({ ports: [{ port: "80" }] }));
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(result.issues, [
      {
        path: "spec.ingress[0].ports[0].port",
        rule: "iana_svc_name",
        message:
          'Field spec.ingress[0].ports[0].port must be an IANA service name, which must contain at least one letter; received "80".',
        value: "80",
      },
    ]);
  });

  test("long offending strings are truncated in the issue value", () => {
    const result = validateNetworkPolicy({ ...basePolicy(), kind: "x".repeat(1000) });
    assert.equal(result.ok, false);
    if (result.ok) return;
    const issue = result.issues.find((i) => i.path === "kind")!;
    assert.equal((issue.value as string).length, 203);
    assert.ok(issue.message.length < 400);
  });

  test("a deeply nested unknown value is reported without overflowing the stack", () => {
    let deep: unknown = {};
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const result = validateNetworkPolicy({
      ...basePolicy(),
      extra: deep,
      spec: { podSelector: { matchLabels: deep } },
    });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.ok(result.issues.some((i) => i.path === "extra" && i.rule === "unknown_field"));
    assert.ok(
      result.issues.some((i) => i.path === "spec.podSelector.matchLabels" && i.rule === "invalid_type"),
    );
    assert.doesNotThrow(() => JSON.stringify(result.issues));
  });
});
