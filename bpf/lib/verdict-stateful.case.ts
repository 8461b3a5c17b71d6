// Shared verdict cases that depend on state across packets: conntrack replies, the cross-endpoint
// rule, live policy removal, counters and flow events (drops and new connections).
import assert from "node:assert/strict";
import { it } from "node:test";
import { PROTO } from "../../wire/entries.ts";
import { REASONS } from "./codecs/reasons.ts";
import type { VerdictHarness } from "./testing/harness.ts";
import { buildPacket, TCP_FLAGS } from "./testing/packet.ts";
import { allow, EP, ID, IP, tcp, udp } from "./verdict-fixtures.ts";

const IN = 0;
const OUT = 1;
const { SYN, ACK } = TCP_FLAGS;

export function statefulCases(harness: () => VerdictHarness): void {
  let h: VerdictHarness;
  it("ICMP and ICMPv6 match with port 0, and echo replies pass through conntrack", async () => {
    h = harness();
    await h.setEndpoint("A", EP.A({ ingress: true, egress: true }));
    await h.setPolicies([allow(21, "egress", ID.B, PROTO.ICMP), allow(21, "egress", ID.B, PROTO.ICMPV6)]);
    const ping = (src: string, dst: string, protocol: number, icmpType: number, icmpId: number) =>
      buildPacket({ src, dst, protocol, icmpType, icmpId });
    assert.equal(
      (await h.run("from_pod", "A", ping(IP.A, IP.B, PROTO.ICMP, 8, 77))).trace.reason,
      REASONS.PASS_POLICY,
    );
    assert.equal(
      (await h.run("to_pod", "A", ping(IP.B, IP.A, PROTO.ICMP, 0, 77))).trace.reason,
      REASONS.PASS_CONNTRACK,
    );
    assert.equal((await h.run("to_pod", "A", ping(IP.B, IP.A, PROTO.ICMP, 0, 78))).pass, false);
    assert.equal(
      (await h.run("from_pod", "A", ping(IP.A6, IP.B6, PROTO.ICMPV6, 128, 5))).trace.reason,
      REASONS.PASS_POLICY,
    );
    assert.equal(
      (await h.run("to_pod", "A", ping(IP.B6, IP.A6, PROTO.ICMPV6, 129, 5))).trace.reason,
      REASONS.PASS_CONNTRACK,
    );
  });

  it("replies of an allowed flow pass through conntrack though the reverse direction is isolated", async () => {
    h = harness();
    await h.setEndpoint("A", EP.A({ ingress: true, egress: true }));
    await h.setPolicies([allow(21, "egress", ID.B, PROTO.TCP, 80, 16, 42, 1)]);
    assert.equal(
      (await h.run("from_pod", "A", tcp(IP.A, IP.B, 40000, 80))).trace.reason,
      REASONS.PASS_POLICY,
    );
    const reply = await h.run("to_pod", "A", tcp(IP.B, IP.A, 80, 40000, SYN | ACK));
    assert.deepEqual(
      [reply.pass, reply.trace.reason, reply.trace.identity, reply.trace.policyId],
      [true, REASONS.PASS_CONNTRACK, ID.B, 42],
    );
    assert.equal(
      (await h.run("from_pod", "A", tcp(IP.A, IP.B, 40000, 80, ACK))).trace.reason,
      REASONS.PASS_CONNTRACK,
    );
    assert.equal((await h.run("to_pod", "A", tcp(IP.B, IP.A, 80, 40001, SYN | ACK))).pass, false);
  });

  it("a flow allowed by one endpoint's check never bypasses another endpoint's check", async () => {
    h = harness();
    await h.setEndpoint("A", EP.A({ egress: true }));
    await h.setEndpoint("B", EP.B({ ingress: true }));
    await h.setEndpoint("C", EP.C({ ingress: true }));
    await h.setPolicies([allow(21, "egress", ID.B, PROTO.TCP, 80)]);
    const syn = tcp(IP.A, IP.B, 40000, 80);
    assert.equal((await h.run("from_pod", "A", syn)).trace.reason, REASONS.PASS_POLICY);
    const atB = await h.run("to_pod", "B", syn);
    assert.deepEqual(
      [atB.pass, atB.trace.reason, atB.trace.policyId],
      [false, REASONS.DROP_POLICY_DENIED, 512],
    );
    assert.equal((await h.run("to_pod", "C", syn)).pass, false);
    const fromB = await h.run("from_pod", "B", tcp(IP.B, IP.A, 80, 40000, SYN | ACK));
    assert.equal(fromB.trace.reason, REASONS.PASS_NOT_ISOLATED);
  });

  it("every verdict is counted by direction and reason, with bytes", async () => {
    h = harness();
    await h.setEndpoint("A", EP.A({ ingress: true }));
    const denied = tcp(IP.B, IP.A, 1000, 80);
    await h.run("to_pod", "A", denied);
    await h.run("to_pod", "A", tcp(IP.B, IP.A, 1001, 80));
    const passed = udp(IP.A, IP.B, 1000, 53);
    await h.run("from_pod", "A", passed);
    assert.deepEqual(await h.counter(IN, REASONS.DROP_POLICY_DENIED), {
      packets: 2,
      bytes: 2 * denied.length,
    });
    assert.deepEqual(await h.counter(OUT, REASONS.PASS_NOT_ISOLATED), { packets: 1, bytes: passed.length });
    assert.deepEqual(await h.counter(OUT, REASONS.DROP_POLICY_DENIED), { packets: 0, bytes: 0 });
  });

  it("a drop event names the endpoint, direction, peer, policy and the packet's addresses and ports", async () => {
    h = harness();
    await h.setEndpoint("A", EP.A({ ingress: true }));
    await h.run("from_pod", "A", tcp(IP.A, IP.B, 999, 80));
    const frame = tcp(IP.B, IP.A, 1234, 80);
    await h.run("to_pod", "A", frame);
    const events = (await h.takeEvents()).filter((e) => e.kind === "drop");
    assert.equal(events.length, 1);
    const { timestampNs: _, ...e } = events[0]!;
    assert.deepEqual(e, {
      kind: "drop",
      endpointId: 11,
      ifindex: h.ifindex("A"),
      reason: REASONS.DROP_POLICY_DENIED,
      reasonName: "DROP_POLICY_DENIED",
      peerIdentity: ID.B,
      policyId: 511,
      ruleIndex: 0,
      direction: "ingress",
      family: 4,
      protocol: PROTO.TCP,
      srcPort: 1234,
      dstPort: 80,
      srcAddr: IP.B,
      dstAddr: IP.A,
      packetLen: frame.length,
    });
  });

  it("a new connection emits one new_flow event with its deciding policy and rule; established packets emit none", async () => {
    h = harness();
    await h.setEndpoint("A", EP.A({ egress: true }));
    await h.setPolicies([allow(21, "egress", ID.B, PROTO.TCP, 443, 16, 9, 3)]);
    const syn = tcp(IP.A, IP.B, 4000, 443, SYN);
    await h.run("from_pod", "A", syn);
    await h.run("to_pod", "A", tcp(IP.B, IP.A, 443, 4000, SYN | ACK));
    await h.run("from_pod", "A", tcp(IP.A, IP.B, 4000, 443, ACK));
    await h.run("from_pod", "A", tcp(IP.A, IP.B, 4000, 443, ACK));
    const events = await h.takeEvents();
    assert.equal(
      events.length,
      1,
      JSON.stringify(events, (_, v) => (typeof v === "bigint" ? `${v}` : v)),
    );
    const { timestampNs: _, ...e } = events[0]!;
    assert.deepEqual(e, {
      kind: "new_flow",
      endpointId: 11,
      ifindex: h.ifindex("A"),
      reason: REASONS.PASS_POLICY,
      reasonName: "PASS_POLICY",
      peerIdentity: ID.B,
      policyId: 9,
      ruleIndex: 3,
      direction: "egress",
      family: 4,
      protocol: PROTO.TCP,
      srcPort: 4000,
      dstPort: 443,
      srcAddr: IP.A,
      dstAddr: IP.B,
      packetLen: syn.length,
    });
  });

  it("a new connection to an endpoint that is not isolated is reported with no policy", async () => {
    h = harness();
    await h.setEndpoint("A", EP.A());
    await h.run("to_pod", "A", udp(IP.C, IP.A, 5000, 53));
    await h.run("to_pod", "A", udp(IP.C, IP.A, 5000, 53));
    const events = await h.takeEvents();
    assert.deepEqual(
      events.map((e) => [e.kind, e.reasonName, e.direction, e.policyId, e.srcAddr, e.dstPort]),
      [["new_flow", "PASS_NOT_ISOLATED", "ingress", 0, IP.C, 53]],
    );
  });
}
