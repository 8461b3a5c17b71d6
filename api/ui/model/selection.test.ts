// Tests what the console says about selection: which policies select an endpoint, and what a
// rule's peers match (namespace and pod selectors, both, neither, ipBlock).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EndpointRec, PolicyRec } from "../../policy/compiler/types.ts";
import type { Endpoint, LabelSelector, Namespace, NetworkPolicy, PolicyPeer } from "../../policy/model.ts";
import { type Objects, policiesSelecting, portText, rulesOf, selectorText } from "./selection.ts";

const sel = (
  matchLabels: Record<string, string>,
  matchExpressions: LabelSelector["matchExpressions"] = [],
) => ({
  matchLabels,
  matchExpressions,
});

function objects(): Objects & { add(p: NetworkPolicy): void } {
  const namespaces = new Map<string, Namespace>([
    ["a", { name: "a", labels: { team: "x", "kubernetes.io/metadata.name": "a" } }],
    ["b", { name: "b", labels: { team: "y", "kubernetes.io/metadata.name": "b" } }],
  ]);
  const ep = (namespace: string, name: string, labels: Record<string, string>): Endpoint => ({
    namespace,
    name,
    labels,
    node: "n",
    interface: `veth-${namespace}-${name}`,
    ips: [],
    ports: [],
  });
  const endpoints = new Map<string, EndpointRec>(
    [ep("a", "web", { app: "web" }), ep("a", "db", { app: "db" }), ep("b", "web", { app: "web" })].map(
      (e) => [`${e.namespace}/${e.name}`, { endpoint: e } as EndpointRec],
    ),
  );
  const policies = new Map<string, PolicyRec>();
  return {
    namespaces,
    endpoints,
    policies,
    add: (p) => policies.set(`${p.namespace}/${p.name}`, { policy: p } as PolicyRec),
  };
}

function policy(name: string, podSelector: LabelSelector, peers: PolicyPeer[] = []): NetworkPolicy {
  return {
    namespace: "a",
    name,
    labels: {},
    annotations: {},
    spec: {
      podSelector,
      policyTypes: ["Ingress"],
      ingress: [{ peers, ports: [{ protocol: "TCP", port: 80 }] }],
      egress: [],
    },
  };
}

describe("console selection model", () => {
  it("finds the policies of the endpoint's own namespace whose podSelector matches it", () => {
    const o = objects();
    o.add(policy("web", sel({ app: "web" })));
    o.add(policy("all", sel({})));
    o.add(policy("none", sel({ app: "nope" })));
    const names = (ns: string, n: string) =>
      policiesSelecting(o, o.endpoints.get(`${ns}/${n}`)!.endpoint).map((p) => p.name);
    assert.deepEqual(names("a", "web"), ["all", "web"]);
    assert.deepEqual(names("a", "db"), ["all"]);
    assert.deepEqual(names("b", "web"), [], "a policy never selects another namespace's pods");
  });

  it("resolves each peer to the endpoints it matches now", () => {
    const o = objects();
    const p = policy("p", sel({}), [
      { podSelector: sel({ app: "web" }) },
      { namespaceSelector: sel({ team: "y" }) },
      { namespaceSelector: sel({}), podSelector: sel({ app: "web" }) },
      { ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } },
    ]);
    const [rule] = rulesOf(o, p);
    const seen = rule!.peers.map((peer) => [
      peer.text,
      peer.endpoints.map((e) => `${e.namespace}/${e.name}`),
    ]);
    assert.deepEqual(seen, [
      ["pods app=web in namespace a", ["a/web"]],
      ["every pod in namespaces team=y", ["b/web"]],
      ["pods app=web in namespaces {} (all)", ["a/web", "b/web"]],
      ["ipBlock 10.0.0.0/8 except 10.1.0.0/16", []],
    ]);
    assert.deepEqual(rule!.ports, ["TCP 80"]);
    assert.equal(rule!.direction, "ingress");
  });

  it("writes selectors and ports as people read them", () => {
    assert.equal(
      selectorText(
        sel({ app: "web" }, [
          { key: "tier", operator: "In", values: ["a", "b"] },
          { key: "canary", operator: "DoesNotExist", values: [] },
        ]),
      ),
      "app=web, tier In (a, b), canary DoesNotExist",
    );
    assert.equal(portText({ protocol: "UDP" }), "UDP (every port)");
    assert.equal(portText({ protocol: "TCP", port: 8000, endPort: 8080 }), "TCP 8000-8080");
    assert.equal(portText({ protocol: "SCTP", port: "metrics" }), "SCTP metrics");
  });
});
