// Issue 10 section 1: a write whose policy would expand past a node's maps is refused 409
// capacity.exceeded from the rule's size, before its entries are built, and except handling is not
// quadratic. On the code before the fix these bodies ran for minutes (and gigabytes); the timeout
// below is a liveness bound for the suite, not a speed assertion (bench/hostile/ measures speed).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createTestApp, expectRefused } from "../../api/testing.ts";

const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`;

function ingressPolicy(from: unknown[], ports: unknown[]) {
  return JSON.stringify({ spec: { podSelector: {}, ingress: [{ from, ports }] } });
}

async function appWithEndpoint() {
  const t = createTestApp();
  assert.equal((await t.call("PUT", "/v1/namespaces/prod", "{}")).status, 201);
  const ep = { node: "n1", interface: "eth0", ips: ["192.168.0.1"], labels: { app: "web" } };
  assert.equal((await t.call("PUT", "/v1/namespaces/prod/endpoints/web", JSON.stringify(ep))).status, 201);
  return t;
}

describe("hostile policy writes", { timeout: 120_000 }, () => {
  it("refuses 63 blocks of 256 excepts plus 0.0.0.0/0 on 128 ports with 409 capacity.exceeded", async () => {
    const t = await appWithEndpoint();
    let n = 0;
    // 16,192 prefixes (within the 16,384 a policy may name) on 128 ports: over the policy map.
    const blocks = Array.from({ length: 63 }, () => ({
      ipBlock: { cidr: "0.0.0.0/0", except: Array.from({ length: 256 }, () => ip(n++)) },
    }));
    const ports = Array.from({ length: 128 }, (_, i) => ({ port: 1000 + i }));
    const body = ingressPolicy([...blocks, { ipBlock: { cidr: "0.0.0.0/0" } }], ports);
    const res = await expectRefused(
      t,
      { method: "PUT", path: "/v1/namespaces/prod/networkpolicies/p", body },
      { status: 409, code: "capacity.exceeded" },
    );
    assert.equal(res.body.error.details.map, "policies");
    // The store and engine are as before: the endpoint is still there and isolated by nothing.
    assert.equal(t.store.engine.policies.size, 0);
  });

  it("accepts 127 blocks of 100 excepts each (12,700 prefixes) without quadratic work", async () => {
    const t = await appWithEndpoint();
    let n = 0;
    const blocks = Array.from({ length: 127 }, () => ({
      ipBlock: { cidr: "10.0.0.0/8", except: Array.from({ length: 100 }, () => ip(n++)) },
    }));
    const res = await t.call(
      "PUT",
      "/v1/namespaces/prod/networkpolicies/p",
      ingressPolicy(blocks, [{ port: 80 }]),
    );
    assert.equal(res.status, 201, JSON.stringify(res.body).slice(0, 300));
    // Each block selects its own cidr and every other block's excepts (not its own).
    const prefixes = t.store.engine.prefixes;
    const key = [...t.store.engine.policies.values()][0]!.ingress[0]!.peers[0]!.key;
    assert.equal(prefixes.selected(key).size, 1 + 12_700 - 100);
  });
});
