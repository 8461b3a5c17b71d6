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
