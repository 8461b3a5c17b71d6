import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Endpoint } from "../model.ts";
import { allowed, changesFor, compile, ns, pod, policy, rule, sel } from "./testing.ts";

const x = ns("x", { ns: "x" });
const y = ns("y", { ns: "y" });

function world() {
  const xa = pod("x", "a", { pod: "a" });
  const xb = pod("x", "b", { pod: "b" }, { ports: [{ name: "serve-80-tcp", port: 80, protocol: "TCP" }] });
  const ya = pod("y", "a", { pod: "a" });
  const yb = pod("y", "b", { pod: "b" });
  return { xa, xb, ya, yb, base: [x, y, xa, xb, ya, yb] };
}

describe("Kubernetes NetworkPolicy semantics", () => {
  it("allows everything when no policy selects a pod", () => {
    const { xa, xb, ya, base } = world();
    const e = compile(base);
    assert.ok(allowed(e, xa, xb));
    assert.ok(allowed(e, ya, xa, "UDP", 53));
  });

  it("a default-deny ingress policy isolates ingress only", () => {
    const { xa, xb, ya, base } = world();
    const e = compile([...base, policy("x", "deny", { policyTypes: ["Ingress"] })]);
    assert.ok(!allowed(e, ya, xa));
    assert.ok(!allowed(e, xb, xa));
    assert.ok(allowed(e, xa, ya), "egress from an ingress-isolated pod stays open");
  });

  it("an egress-only policy without policyTypes still isolates ingress", () => {
    const { xa, ya, base } = world();
    const p = policy("x", "eg", { podSelector: sel({ pod: "a" }), egress: [rule()] });
    assert.deepEqual(p.spec.policyTypes, ["Ingress", "Egress"]);
    const e = compile([...base, p]);
    assert.ok(!allowed(e, ya, xa), "ingress isolated by the defaulted policyTypes");
    assert.ok(allowed(e, xa, ya), "egress allowed by the empty rule");
  });

  it("namespaceSelector and podSelector in one peer mean AND", () => {
    const { xa, xb, ya, yb, base } = world();
    const peer = { namespaceSelector: sel({ ns: "y" }), podSelector: sel({ pod: "a" }) };
    const e = compile([
      ...base,
      policy("x", "and", { podSelector: sel({ pod: "a" }), ingress: [rule([peer])] }),
    ]);
    assert.ok(allowed(e, ya, xa));
    assert.ok(!allowed(e, yb, xa));
    assert.ok(!allowed(e, xb, xa));
  });

  it("namespaceSelector and podSelector in two peers mean OR", () => {
    const { xa, xb, ya, yb, base } = world();
    const peers = [{ namespaceSelector: sel({ ns: "y" }) }, { podSelector: sel({ pod: "b" }) }];
    const e = compile([
      ...base,
      policy("x", "or", { podSelector: sel({ pod: "a" }), ingress: [rule(peers)] }),
    ]);
    assert.ok(allowed(e, ya, xa));
    assert.ok(allowed(e, yb, xa));
    assert.ok(allowed(e, xb, xa), "podSelector alone selects in the policy's namespace");
  });

  it("a podSelector peer without namespaceSelector never selects other namespaces", () => {
    const { xa, yb, base } = world();
    const e = compile([...base, policy("x", "p", { ingress: [rule([{ podSelector: sel() }])] })]);
    assert.ok(!allowed(e, yb, xa));
  });

  it("an empty namespaceSelector selects pods in every namespace", () => {
    const { xa, yb, base } = world();
    const e = compile([...base, policy("x", "p", { ingress: [rule([{ namespaceSelector: sel() }])] })]);
    assert.ok(allowed(e, yb, xa));
    assert.ok(!allowed(e, "192.0.2.1", xa), "but not addresses outside the cluster");
  });

  it("ports default to TCP and other protocols stay denied", () => {
    const { xa, ya, base } = world();
    const e = compile([...base, policy("x", "p", { ingress: [rule([], [{ protocol: "TCP", port: 80 }])] })]);
    assert.ok(allowed(e, ya, xa, "TCP", 80));
    assert.ok(!allowed(e, ya, xa, "UDP", 80));
    assert.ok(!allowed(e, ya, xa, "TCP", 81));
    assert.ok(!allowed(e, ya, xa, "ICMP", 0));
  });

  it("endPort ranges allow both edges and nothing outside", () => {
    const { xa, ya, base } = world();
    const e = compile([
      ...base,
      policy("x", "p", { ingress: [rule([], [{ protocol: "UDP", port: 1000, endPort: 2000 }])] }),
    ]);
    for (const [port, ok] of [
      [999, false],
      [1000, true],
      [1500, true],
      [2000, true],
      [2001, false],
    ] as const) {
      assert.equal(allowed(e, ya, xa, "UDP", port), ok, `port ${port}`);
    }
  });

  it("named ingress ports resolve per destination endpoint", () => {
    const b = pod("x", "b1", { app: "web" }, { ports: [{ name: "http", port: 8080, protocol: "TCP" }] });
    const c = pod("x", "c1", { app: "api" }, { ports: [{ name: "http", port: 9090, protocol: "TCP" }] });
    const client = pod("y", "client", { app: "client" });
    const e = compile([
      x,
      y,
      b,
      c,
      client,
      policy("x", "p", { ingress: [rule([], [{ protocol: "TCP", port: "http" }])] }),
    ]);
    assert.ok(allowed(e, client, b, "TCP", 8080));
    assert.ok(!allowed(e, client, b, "TCP", 9090));
    assert.ok(allowed(e, client, c, "TCP", 9090));
    assert.ok(!allowed(e, client, c, "TCP", 8080));
  });

  it("named egress ports resolve per destination even within one identity", () => {
    const b1 = pod("y", "b1", { app: "web" }, { ports: [{ name: "http", port: 8080, protocol: "TCP" }] });
    const b2 = pod("y", "b2", { app: "web" }, { ports: [{ name: "http", port: 9090, protocol: "TCP" }] });
    const client = pod("x", "client", { app: "client" });
    const p = policy("x", "p", {
      policyTypes: ["Egress"],
      egress: [rule([{ namespaceSelector: sel() }], [{ protocol: "TCP", port: "http" }])],
    });
    const e = compile([x, y, b1, b2, client, p]);
    assert.ok(allowed(e, client, b1, "TCP", 8080));
    assert.ok(!allowed(e, client, b1, "TCP", 9090));
    assert.ok(allowed(e, client, b2, "TCP", 9090));
    assert.ok(!allowed(e, client, b2, "TCP", 8080));
  });

  it("ipBlock with except applies to pod addresses too", () => {
    const { xa, ya, yb, base } = world();
    const block = { cidr: "10.0.0.0/16", except: [`${yb.ips[0]}/32`] };
    const e = compile([
      ...base,
      policy("x", "p", {
        podSelector: sel({ pod: "a" }),
        policyTypes: ["Egress"],
        egress: [rule([{ ipBlock: block }])],
      }),
    ]);
    assert.ok(allowed(e, xa, ya), "pod address inside the block");
    assert.ok(!allowed(e, xa, yb), "pod address in the except");
    assert.ok(allowed(e, xa, "10.0.200.1"), "non-pod address in the block");
    assert.ok(!allowed(e, xa, "10.1.0.1"), "address outside the block");
  });

  it("nested ipBlocks from different policies each keep their meaning", () => {
    const { xa, base } = world();
    const wide = policy("x", "wide", {
      policyTypes: ["Egress"],
      egress: [
        rule(
          [{ ipBlock: { cidr: "172.16.0.0/12", except: ["172.16.5.0/24"] } }],
          [{ protocol: "TCP", port: 443 }],
        ),
      ],
    });
    const narrow = policy("x", "narrow", {
      policyTypes: ["Egress"],
      egress: [rule([{ ipBlock: { cidr: "172.16.5.0/24", except: [] } }], [{ protocol: "TCP", port: 22 }])],
    });
    const e = compile([...base, wide, narrow]);
    assert.ok(allowed(e, xa, "172.17.0.1", "TCP", 443));
    assert.ok(!allowed(e, xa, "172.16.5.9", "TCP", 443), "except of the wide block");
    assert.ok(allowed(e, xa, "172.16.5.9", "TCP", 22), "the narrow block covers it");
    assert.ok(!allowed(e, xa, "172.17.0.1", "TCP", 22));
  });

  it("policies are additive", () => {
    const { xa, xb, ya, base } = world();
    const p1 = policy("x", "p1", { ingress: [rule([{ podSelector: sel({ pod: "b" }) }])] });
    const p2 = policy("x", "p2", {
      ingress: [rule([{ namespaceSelector: sel({ ns: "y" }) }], [{ protocol: "UDP", port: 53 }])],
    });
    const e = compile([...base, p1, p2]);
    assert.ok(allowed(e, xb, xa, "TCP", 1234));
    assert.ok(allowed(e, ya, xa, "UDP", 53));
    assert.ok(!allowed(e, ya, xa, "TCP", 53));
  });

  it("matchExpressions with every operator select as Kubernetes does", () => {
    const pods: Endpoint[] = [
      pod("y", "p1", { tier: "front" }),
      pod("y", "p2", { tier: "back" }),
      pod("y", "p3", {}),
    ];
    const target = pod("x", "t", { pod: "t" });
    const cases = [
      { op: "In", values: ["front"], expect: [true, false, false] },
      { op: "NotIn", values: ["front"], expect: [false, true, true] },
      { op: "Exists", values: [], expect: [true, true, false] },
      { op: "DoesNotExist", values: [], expect: [false, false, true] },
    ] as const;
    for (const c of cases) {
      const peer = {
        namespaceSelector: sel(),
        podSelector: sel({}, [{ key: "tier", operator: c.op, values: [...c.values] }]),
      };
      const e = compile([x, y, ...pods, target, policy("x", "p", { ingress: [rule([peer])] })]);
      assert.deepEqual(
        pods.map((p) => allowed(e, p, target)),
        c.expect,
        c.op,
      );
    }
  });

  it("an address the ipcache does not know is world and is denied by isolation", () => {
    const { xa, base } = world();
    const e = compile([...base, policy("x", "deny", {})]);
    assert.ok(!allowed(e, "192.0.2.1", xa));
    const isolated = e.nodeState("node-a").endpoints.filter((ep) => ep.ingressIsolated);
    assert.equal(isolated.length, 2, "both pods of namespace x");
  });

  it("a policy update and delete take effect incrementally", () => {
    const { xa, ya, base } = world();
    const e = compile(base);
    const deny = policy("x", "p", {});
    e.apply([{ kind: "policy", op: "upsert", id: 100, value: deny }]);
    assert.ok(!allowed(e, ya, xa));
    const allowY = policy("x", "p", { ingress: [rule([{ namespaceSelector: sel({ ns: "y" }) }])] });
    e.apply([{ kind: "policy", op: "upsert", id: 100, value: allowY }]);
    assert.ok(allowed(e, ya, xa));
    e.apply([{ kind: "policy", op: "delete", namespace: "x", name: "p" }]);
    assert.ok(allowed(e, ya, xa));
    assert.equal(e.nodeState("node-a").endpoints.filter((ep) => ep.ingressIsolated).length, 0);
  });

  it("pod and namespace label changes move pods in and out of selections", () => {
    const { xa, ya, base } = world();
    const e = compile([
      ...base,
      policy("x", "p", { ingress: [rule([{ namespaceSelector: sel({ team: "blue" }) }])] }),
    ]);
    assert.ok(!allowed(e, ya, xa));
    e.apply(changesFor([ns("y", { ns: "y", team: "blue" })]));
    assert.ok(allowed(e, ya, xa));
    e.apply([{ kind: "endpoint", op: "upsert", id: 5, value: { ...ya, labels: { pod: "a2" } } }]);
    assert.ok(allowed(e, { ...ya }, xa), "still in the namespace that is selected");
  });
});
