// Related traffic on real packets, one agent, default-deny pods: path-MTU discovery across a
// routed hop with a smaller MTU (the router's "fragmentation needed" error must reach the sender
// through its isolated ingress), and fragmented UDP datagrams of an allowed flow in both
// directions, while a denied flow's fragmented datagrams stay dropped.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { addRoutedHop, type RoutedHop } from "../../lib/netns/routed-hop.ts";
import { onCleanup } from "./harness/cleanup.ts";
import { type Cluster, type ClusterPod, startCluster } from "./harness/cluster.ts";
import { e2eSkipReason } from "./harness/skip.ts";

const SMALL_MTU = 1280;

describe("ICMP errors and fragments of allowed flows on real traffic", { skip: e2eSkipReason() }, () => {
  let cluster: Cluster;
  let hop: RoutedHop;
  let a: ClusterPod;
  let b: ClusterPod;
  before(async () => {
    cluster = await startCluster({
      namespaces: { x: { ns: "x" } },
      pods: ["a", "b"].map((name) => ({ namespace: "x", name, labels: { pod: name }, node: "node-a" })),
      nodes: ["node-a"],
      ports: [80, 81],
    });
    a = cluster.pod("x/a");
    b = cluster.pod("x/b");
    hop = await addRoutedHop({ topo: cluster.topo, mtu: SMALL_MTU, serve: { tcp: [80] }, track: onCleanup });
    hop.routeVia(a.netns);
    // a: default deny both ways; egress to the far server on TCP 80 and to b on UDP 80 only.
    await cluster.applyPolicy("x", {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "a", namespace: "x" },
      spec: {
        podSelector: { matchLabels: { pod: "a" } },
        policyTypes: ["Ingress", "Egress"],
        egress: [
          { to: [{ ipBlock: { cidr: hop.serverSubnet } }], ports: [{ port: 80, protocol: "TCP" }] },
          { to: [{ podSelector: { matchLabels: { pod: "b" } } }], ports: [{ port: 80, protocol: "UDP" }] },
        ],
      },
    });
    // b admits a on UDP 80 only.
    await cluster.applyPolicy("x", {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "b", namespace: "x" },
      spec: {
        podSelector: { matchLabels: { pod: "b" } },
        ingress: [
          { from: [{ podSelector: { matchLabels: { pod: "a" } } }], ports: [{ port: 80, protocol: "UDP" }] },
        ],
      },
    });
  });
  after(async () => {
    try {
      hop?.teardown();
    } finally {
      await cluster?.teardown();
    }
  });

  it("a large TCP transfer across a smaller-MTU hop completes: the router's error reaches the isolated sender", async () => {
    const r = await a.prober.bulk(hop.serverIp, 80, 2_000_000, 20_000);
    assert.deepEqual([r.ok, r.why, r.echoed], [true, "", 2_000_000]);
    const route = spawnSync("ip", ["-n", a.netns, "route", "get", hop.serverIp], { encoding: "utf8" }).stdout;
    assert.match(route, new RegExp(`mtu ${SMALL_MTU}`), `the sender learnt the path MTU: ${route}`);
    // The hop itself is policed: the far server on another port stays unreachable.
    assert.equal((await a.prober.probe("tcp", hop.serverIp, 81, 800)).ok, false);
  });

  it("fragmented UDP datagrams of an allowed flow pass both ways; a denied flow's stay dropped", async () => {
    for (const size of [3000, 8000]) {
      const r = await a.prober.probe("udp", b.ip, 80, 2000, size);
      assert.deepEqual([r.ok, r.why], [true, ""], `a ${size}-byte datagram and its echo`);
    }
    assert.equal((await a.prober.probe("udp", b.ip, 81, 1000, 3000)).ok, false, "b does not admit UDP 81");
    assert.equal((await b.prober.probe("udp", a.ip, 80, 1000, 3000)).ok, false, "a admits nothing");
  });
});
