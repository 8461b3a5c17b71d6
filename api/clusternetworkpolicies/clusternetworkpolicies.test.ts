import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createTestApp, expectRefused } from "../testing.ts";

const YAML = `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata:
  name: protect-payments
spec:
  tier: Admin
  priority: 10
  subject:
    namespaces:
      matchLabels: {team: payments}
  ingress:
  - name: gateway-only
    action: Accept
    from:
    - pods:
        namespaceSelector: {matchLabels: {team: edge}}
        podSelector: {matchLabels: {app: gateway}}
    protocols:
    - tcp: {destinationPort: {number: 443}}
  - name: nobody-else
    action: Deny
    from:
    - namespaces: {}
  egress:
  - action: Deny
    to:
    - networks: [169.254.0.0/16]
`;

describe("/v1/clusternetworkpolicies", () => {
  it("creates from YAML, reads back the upstream object, lists, replaces and deletes, each with a revision", async () => {
    const { call } = createTestApp();
    const created = await call("PUT", "/v1/clusternetworkpolicies/protect-payments", YAML, {
      type: "application/yaml",
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.kind, "ClusterNetworkPolicy");
    assert.equal(created.body.spec.ingress[0].name, "gateway-only");
    assert.deepEqual(created.body.spec.ingress[0].protocols, [{ tcp: { destinationPort: { number: 443 } } }]);
    assert.equal(typeof created.body.revision, "number");
    const got = await call("GET", "/v1/clusternetworkpolicies/protect-payments?submitted=true");
    assert.equal(got.status, 200);
    assert.equal(got.body.submitted.metadata.name, "protect-payments");
    const list = await call("GET", "/v1/clusternetworkpolicies");
    assert.equal(list.body.items.length, 1);
    const again = await call(
      "PUT",
      "/v1/clusternetworkpolicies/protect-payments",
      JSON.stringify(got.body.submitted),
    );
    assert.equal(again.status, 200);
    assert.ok(again.body.revision > created.body.revision);
    const deleted = await call("DELETE", "/v1/clusternetworkpolicies/protect-payments");
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.deleted, true);
    assert.equal((await call("GET", "/v1/clusternetworkpolicies/protect-payments")).status, 404);
  });

  it("refuses an invalid object with every issue (path, rule, value), storing nothing", async () => {
    const t = createTestApp();
    const body = JSON.stringify({
      spec: {
        tier: "Platform",
        priority: 1001,
        subject: { namespaces: {}, pods: { podSelector: {} } },
        ingress: [{ action: "Allow", from: [] }],
      },
    });
    const res = await expectRefused(
      t,
      { method: "PUT", path: "/v1/clusternetworkpolicies/p", body },
      {
        status: 422,
        code: "clusternetworkpolicy.invalid",
        issuePath: "spec.priority",
        issueRule: "priority_range",
      },
    );
    const rules = res.body.error.issues.map((i: { path: string; rule: string }) => `${i.path}:${i.rule}`);
    for (const want of [
      "spec.tier:enum",
      "spec.subject:one_of_exclusive",
      "spec.ingress[0].action:enum",
      "spec.ingress[0].from:min_items",
    ]) {
      assert.ok(rules.includes(want), `${want} in ${rules.join(", ")}`);
    }
    await expectRefused(
      t,
      { method: "DELETE", path: "/v1/clusternetworkpolicies/nope" },
      { status: 404, code: "clusternetworkpolicy.not_found" },
    );
  });

  it("applies inside a bundle, and the bundle refuses an invalid one by its index", async () => {
    const t = createTestApp();
    const ok = await t.call(
      "POST",
      "/v1/apply",
      `${YAML}---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n`,
      {
        type: "application/yaml",
      },
    );
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal((await t.call("GET", "/v1/clusternetworkpolicies")).body.items.length, 1);
    const bad = YAML.replace("priority: 10", "priority: -1");
    await expectRefused(
      t,
      { method: "POST", path: "/v1/apply", body: bad, type: "application/yaml" },
      { status: 422, code: "apply.invalid", issuePath: "[0].spec.priority" },
    );
  });
});
