import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManualClock } from "../../lib/testing/manual-clock.ts";
import { FIRST_PREFIX_IDENTITY } from "../../wire/entries.ts";
import { FLOW_ANSWER_MAX_BYTES, type Flow, type FlowsPushMessage } from "../../wire/flows.ts";
import type { DropRecord } from "../datapath/datapath.ts";
import { flowOf } from "./enrich.ts";
import { NameBook } from "./name-book.ts";
import { FlowRing } from "./ring.ts";
import { FlowService, PUSH_INTERVAL_MS, PUSH_MAX_FLOWS, policyText } from "./service.ts";

const book = () => {
  const b = new NameBook();
  b.apply({
    replace: {
      policies: [{ id: 7, kind: "NetworkPolicy", namespace: "shop", name: "allow-web" }],
      endpoints: [
        {
          endpointId: 11,
          namespace: "shop",
          name: "web",
          node: "n1",
          identity: 300,
          labels: { app: "web" },
          addresses: ["10.0.0.11"],
        },
        {
          endpointId: 12,
          namespace: "shop",
          name: "api",
          node: "n2",
          identity: 301,
          labels: { app: "api" },
          addresses: ["10.0.0.12"],
        },
      ],
    },
  });
  return b;
};

const event = (over: Partial<DropRecord> = {}): DropRecord => ({
  kind: "new_flow",
  verdict: "drop",
  timestampNs: 0n,
  interface: "veth-web",
  endpointId: 11,
  direction: "ingress",
  reason: "PASS_POLICY",
  policyId: 7,
  ruleIndex: 2,
  peerIdentity: 301,
  src: "10.0.0.12",
  dst: "10.0.0.11",
  protocol: 6,
  srcPort: 40000,
  dstPort: 80,
  ...over,
});

describe("flow enrichment", () => {
  it("an allowed new connection names both pods, their labels, and the policy and rule", () => {
    const f = flowOf(event(), book(), "n1", Date.UTC(2026, 11, 7, 22, 1, 2, 345));
    assert.deepEqual(f, {
      time: "2026-12-07T22:01:02.345Z",
      node: "n1",
      endpoint: { namespace: "shop", name: "web" },
      direction: "ingress",
      verdict: "allowed",
      reason: "POLICY",
      protocol: "TCP",
      source: { address: "10.0.0.12", port: 40000, namespace: "shop", pod: "api", labels: { app: "api" } },
      destination: { address: "10.0.0.11", port: 80, namespace: "shop", pod: "web", labels: { app: "web" } },
      policy: { kind: "NetworkPolicy", namespace: "shop", name: "allow-web", rule: 2 },
      interface: "veth-web",
      event: "new_connection",
    });
  });

  it("a default deny names the isolating policy; peers outside the catalog are world, host or cidr", () => {
    const b = book();
    const drop = flowOf(
      event({ kind: "drop", reason: "DROP_POLICY_DENIED", ruleIndex: 0, src: "192.0.2.9", peerIdentity: 2 }),
      b,
      "n1",
      0,
    );
    assert.deepEqual([drop.verdict, drop.reason, drop.event], ["dropped", "POLICY_DENIED", "drop"]);
    assert.deepEqual(drop.policy, {
      kind: "DefaultDeny",
      isolatedBy: { kind: "NetworkPolicy", namespace: "shop", name: "allow-web" },
    });
    assert.deepEqual(drop.source, { address: "192.0.2.9", port: 40000, identity: "world" });
    const host = flowOf(
      event({ reason: "PASS_HOST", policyId: 0, src: "10.0.0.1", peerIdentity: 1 }),
      b,
      "n1",
      0,
    );
    assert.deepEqual([host.source.identity, host.policy], ["host", null]);
    const cidr = flowOf(
      event({
        direction: "egress",
        src: "10.0.0.11",
        dst: "203.0.113.5",
        peerIdentity: FIRST_PREFIX_IDENTITY + 3,
      }),
      b,
      "n1",
      0,
    );
    assert.deepEqual(cidr.destination, { address: "203.0.113.5", port: 80, identity: "cidr" });
    assert.equal(cidr.source.pod, "web");
  });

  it("ICMP has no ports; an unknown policy id is never shown bare; an unnamed endpoint is null", () => {
    const f = flowOf(event({ protocol: 1, policyId: 99, endpointId: 55 }), book(), "n1", 0);
    assert.equal(f.protocol, "ICMP");
    assert.equal(f.source.port, undefined);
    assert.equal(f.destination.port, undefined);
    assert.deepEqual(f.policy, { kind: "Unknown", rule: 2 });
    assert.equal(f.endpoint, null);
    assert.equal(flowOf(event({ protocol: 99 }), book(), "n1", 0).protocol, "99");
  });

  it("names follow deltas: an upsert renames, a remove forgets", () => {
    const b = book();
    b.apply({
      policies: { upsert: [{ id: 8, kind: "NetworkPolicy", namespace: "shop", name: "new" }], remove: [] },
      endpoints: { upsert: [], remove: [{ namespace: "shop", name: "api" }] },
    });
    assert.equal(b.policy(8)?.name, "new");
    assert.equal(b.endpointAt("10.0.0.12"), undefined);
    assert.equal(b.policy(7)?.name, "allow-web");
  });
});

const flowAt = (ms: number, over: Partial<Flow> = {}): Flow => ({
  ...flowOf(event(), book(), "n1", ms),
  ...over,
});

describe("flow ring", () => {
  it("keeps the last N, and answers the newest `limit` matching, oldest first", () => {
    const r = new FlowRing(4);
    for (let i = 0; i < 6; i++) r.push(flowAt(i * 1000, { verdict: i % 2 ? "dropped" : "allowed" }));
    assert.equal(r.size, 4);
    assert.deepEqual(
      r.query({}, 10).map((f) => Date.parse(f.time)),
      [2000, 3000, 4000, 5000],
    );
    assert.deepEqual(
      r.query({ verdict: "dropped" }, 1).map((f) => Date.parse(f.time)),
      [5000],
    );
    assert.deepEqual(
      r.query({ sinceMs: 4000 }, 10).map((f) => Date.parse(f.time)),
      [4000, 5000],
    );
  });

  it("filters by either side's namespace, pod and port, and by from/to", () => {
    const r = new FlowRing(8);
    r.push(flowAt(1));
    assert.equal(r.query({ pod: "api" }, 5).length, 1);
    assert.equal(r.query({ namespace: "shop", pod: "web" }, 5).length, 1);
    assert.equal(r.query({ namespace: "other" }, 5).length, 0);
    assert.equal(r.query({ from: "shop/api", to: "shop/web" }, 5).length, 1);
    assert.equal(r.query({ from: "shop/web" }, 5).length, 0);
    assert.equal(r.query({ port: 80, protocol: "TCP" }, 5).length, 1);
    assert.equal(r.query({ port: 81 }, 5).length, 0);
    assert.equal(r.query({ node: "n2" }, 5).length, 0);
  });
});

describe("flow service", () => {
  const service = (sent: FlowsPushMessage[], ringSize = 100_000) => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const logs: Record<string, unknown>[] = [];
    const s = new FlowService({
      node: "n1",
      book: book(),
      ringSize,
      clock,
      log: (l) => logs.push(l),
      send: (m) => {
        sent.push(m);
        return true;
      },
      monotonicNs: () => 5_000_000_000n,
    });
    return { s, clock, logs };
  };

  it("stamps events with the wall clock less their age, and logs drops with names", () => {
    const { s, clock, logs } = service([]);
    s.ingest([event({ timestampNs: 4_750_000_000n }), event({ kind: "drop", reason: "DROP_POLICY_DENIED" })]);
    const [a] = s.ring.query({}, 1_000);
    assert.equal(Date.parse(a!.time), clock.now() - 250);
    assert.deepEqual(
      logs.map((l) => [l.msg, l.endpoint, l.src, l.policy]),
      [["drop", "shop/web", "10.0.0.12:40000 (shop/api)", "DefaultDeny (isolated by shop/allow-web)"]],
    );
  });

  it("cuts an answer to fit one agent message, keeping the newest, and says so", () => {
    const { s } = service([]);
    const many = Array.from({ length: 10_000 }, (_, i) => event({ srcPort: i }));
    s.ingest(many);
    const a = s.answer({ type: "flows_query", id: 3, filter: {}, limit: 10_000 });
    assert.equal(a.truncated, true);
    assert.ok(JSON.stringify(a).length <= FLOW_ANSWER_MAX_BYTES + 1000);
    assert.equal(a.flows.at(-1)?.source.port, 9_999);
    const small = s.answer({ type: "flows_query", id: 4, filter: { port: 5 }, limit: 10 });
    assert.deepEqual([small.id, small.flows.length, small.truncated], [4, 1, false]);
  });

  it("pushes new flows in batches only while following, and counts what a batch leaves out", () => {
    const sent: FlowsPushMessage[] = [];
    const { s, clock } = service(sent);
    s.ingest([event()]);
    clock.advance(PUSH_INTERVAL_MS);
    assert.equal(sent.length, 0, "not following");
    s.follow(true);
    s.ingest(Array.from({ length: PUSH_MAX_FLOWS + 5 }, () => event()));
    clock.advance(PUSH_INTERVAL_MS);
    assert.deepEqual([sent.length, sent[0]?.flows.length, sent[0]?.dropped], [1, PUSH_MAX_FLOWS, 5]);
    s.follow(false);
    s.ingest([event()]);
    clock.advance(PUSH_INTERVAL_MS);
    assert.equal(sent.length, 1);
  });

  it("policyText says what decided", () => {
    assert.equal(policyText({ policy: null }), null);
    assert.equal(
      policyText({ policy: { kind: "NetworkPolicy", namespace: "a", name: "b", rule: 1 } }),
      "NetworkPolicy a/b rule 1",
    );
  });
});
