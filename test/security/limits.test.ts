// Issue 10 section 1: documented size limits, refused at validation with a 422 and a stable rule.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { objectLimits } from "../../api/policy/validation/object-limits.ts";
import { createTestApp, expectRefused } from "../../api/testing.ts";

function labels(count: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, "v"]));
}

/** Labels of about 360 bytes each (a 243-character prefix, a 53-character name, a 63-character value). */
function longLabels(count: number): Record<string, string> {
  const prefix = Array.from({ length: 4 }, () => "a".repeat(60)).join(".");
  return Object.fromEntries(
    Array.from({ length: count }, (_, i) => [
      `${prefix}/k${String(i).padStart(2, "0")}${"x".repeat(50)}`,
      "v".repeat(63),
    ]),
  );
}

function policy(spec: Record<string, unknown>) {
  return JSON.stringify({ metadata: {}, spec: { podSelector: {}, ...spec } });
}

const excepts = (n: number) => Array.from({ length: n }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
/** `n` ipBlocks of `each` excepts; `extra` more excepts in the last one. */
const blocks = (n: number, each: number, extra = 0) =>
  Array.from({ length: n }, (_, i) => ({
    ipBlock: { cidr: "10.0.0.0/8", except: excepts(i === n - 1 ? each + extra : each) },
  }));
const peers = (n: number) => Array.from({ length: n }, () => ({ podSelector: {} }));
const ports = (n: number) => Array.from({ length: n }, (_, i) => ({ port: i + 1 }));
const rules = (n: number) => Array.from({ length: n }, () => ({}));

const PUT_POLICY = "/v1/namespaces/prod/networkpolicies/p";

describe("object size limits", () => {
  const cases: { name: string; over: string; at: string; path: string; rule: string }[] = [
    {
      name: "excepts per ipBlock",
      over: policy({ ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8", except: excepts(257) } }] }] }),
      at: policy({ ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8", except: excepts(256) } }] }] }),
      path: "spec.ingress[0].from[0].ipBlock.except",
      rule: "too_many_excepts",
    },
    {
      name: "peers per rule",
      over: policy({ egress: [{ to: peers(129) }] }),
      at: policy({ egress: [{ to: peers(128) }] }),
      path: "spec.egress[0].to",
      rule: "too_many_peers",
    },
    {
      name: "ports per rule",
      over: policy({ ingress: [{ ports: ports(129) }] }),
      at: policy({ ingress: [{ ports: ports(128) }] }),
      path: "spec.ingress[0].ports",
      rule: "too_many_ports",
    },
    {
      name: "rules per policy direction",
      over: policy({ ingress: rules(257) }),
      at: policy({ ingress: rules(256) }),
      path: "spec.ingress",
      rule: "too_many_rules",
    },
    {
      // 64 blocks of 255 excepts are 16,384 prefixes (each cidr counts); one more except is over.
      name: "prefixes per policy",
      over: policy({ ingress: [{ from: blocks(64, 255, 1) }] }),
      at: policy({ ingress: [{ from: blocks(64, 255) }] }),
      path: "spec",
      rule: "too_many_prefixes",
    },
    {
      name: "labels per object",
      over: JSON.stringify({ metadata: { labels: labels(65) }, spec: { podSelector: {} } }),
      at: JSON.stringify({ metadata: { labels: labels(64) }, spec: { podSelector: {} } }),
      path: "metadata.labels",
      rule: "too_many_labels",
    },
    {
      name: "matchLabels per selector",
      over: policy({ podSelector: { matchLabels: labels(65) } }),
      at: policy({ podSelector: { matchLabels: labels(64) } }),
      path: "spec.podSelector.matchLabels",
      rule: "too_many_labels",
    },
    {
      name: "label bytes per object",
      over: JSON.stringify({ metadata: { labels: longLabels(64) }, spec: { podSelector: {} } }),
      at: JSON.stringify({ metadata: { labels: longLabels(45) }, spec: { podSelector: {} } }),
      path: "metadata.labels",
      rule: "labels_too_large",
    },
  ];
  for (const c of cases) {
    test(`${c.name}: one over the limit is refused 422 ${c.rule}, the limit itself is accepted`, async () => {
      const t = createTestApp();
      assert.equal((await t.call("PUT", "/v1/namespaces/prod", "{}")).status, 201);
      await expectRefused(
        t,
        { method: "PUT", path: PUT_POLICY, body: c.over },
        { status: 422, code: "policy.invalid", issuePath: c.path, issueRule: c.rule },
      );
      const ok = await t.call("PUT", PUT_POLICY, c.at);
      assert.ok(ok.status === 200 || ok.status === 201, JSON.stringify(ok.body).slice(0, 300));
    });
  }

  test("a namespace with 100,000 labels is refused 422 too_many_labels", async () => {
    const t = createTestApp();
    await expectRefused(
      t,
      { method: "PUT", path: "/v1/namespaces/big", body: JSON.stringify({ labels: labels(100_000) }) },
      { status: 422, code: "namespace.invalid", issuePath: "labels", issueRule: "too_many_labels" },
    );
  });

  test("a namespace with 100,000 labels: the answer shows the size sent and a preview of its first labels", async () => {
    // The reader cuts the map before parsing it (api/http/json-scan.ts); the client cannot tell.
    const t = createTestApp();
    const res = await expectRefused(
      t,
      { method: "PUT", path: "/v1/namespaces/big", body: JSON.stringify({ labels: labels(100_000) }) },
      { status: 422, code: "namespace.invalid", issuePath: "labels", issueRule: "too_many_labels" },
    );
    const [issue] = res.body.error.issues;
    assert.equal(res.body.error.issues.length, 1);
    assert.match(issue.message, /received an object with 100000 keys/);
    assert.equal(issue.value.k0, "v");
    assert.equal(issue.value["..."], "99980 more keys");
  });

  test(`an object of more than ${objectLimits.members} members in a field with no limit of its own is refused, one at the limit is stored`, async () => {
    const t = createTestApp();
    assert.equal((await t.call("PUT", "/v1/namespaces/prod", "{}")).status, 201);
    const withAnnotations = (n: number) =>
      JSON.stringify({ metadata: { annotations: labels(n) }, spec: { podSelector: {} } });
    const res = await expectRefused(
      t,
      { method: "PUT", path: PUT_POLICY, body: withAnnotations(objectLimits.members + 1000) },
      {
        status: 422,
        code: "policy.invalid",
        issuePath: "metadata.annotations",
        issueRule: "too_many_members",
      },
    );
    const issue = res.body.error.issues.find((i: { rule: string }) => i.rule === "too_many_members");
    assert.match(issue.message, new RegExp(`received an object with ${objectLimits.members + 1000} keys`));
    const ok = await t.call("PUT", PUT_POLICY, withAnnotations(objectLimits.members));
    assert.equal(ok.status, 201, JSON.stringify(ok.body).slice(0, 300));
    const stored = await t.call("GET", `${PUT_POLICY}?submitted=true`);
    assert.equal(Object.keys(stored.body.submitted.metadata.annotations).length, objectLimits.members);
  });

  test("a cut object in an ignored field is refused too: cut data is never stored", async () => {
    const t = createTestApp();
    const ns = (n: number) =>
      JSON.stringify([
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "wide" }, status: labels(n) },
      ]);
    const res = await t.call("POST", "/v1/apply", ns(objectLimits.members + 1));
    assert.equal(res.status, 422, JSON.stringify(res.body).slice(0, 300));
    assert.match(JSON.stringify(res.body), /too_many_members/);
    assert.equal((await t.call("GET", "/v1/namespaces/wide")).status, 404);
    assert.equal((await t.call("POST", "/v1/apply", ns(10))).status, 200);
  });

  test("an endpoint's labels are bounded too", async () => {
    const t = createTestApp();
    assert.equal((await t.call("PUT", "/v1/namespaces/prod", "{}")).status, 201);
    const body = {
      node: "n1",
      interface: "eth0",
      ips: ["10.1.0.1"],
      labels: labels(objectLimits.labels + 1),
    };
    await expectRefused(
      t,
      { method: "PUT", path: "/v1/namespaces/prod/endpoints/e", body: JSON.stringify(body) },
      { status: 422, code: "endpoint.invalid", issuePath: "labels", issueRule: "too_many_labels" },
    );
  });
});
