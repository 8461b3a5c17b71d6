// Shared verdict cases of traffic related to a tracked flow: ICMP errors that quote one of its
// packets (path-MTU discovery, traceroute) and later IPv4 fragments of its datagrams.
import assert from "node:assert/strict";
import { it } from "node:test";
import { PROTO } from "../../wire/entries.ts";
import { REASONS } from "./codecs/reasons.ts";
import type { VerdictHarness } from "./testing/harness.ts";
import { buildPacket, type PacketSpec, TCP_FLAGS } from "./testing/packet.ts";
import { allow, EP, ID, IP } from "./verdict-fixtures.ts";

const ROUTER = "10.10.0.1";
const ROUTER6 = "fd00:10::1";
const { ACK } = TCP_FLAGS;

const tcpSpec = (
  src: string,
  dst: string,
  srcPort: number,
  dstPort: number,
  tcpFlags: number = ACK,
): PacketSpec => ({
  src,
  dst,
  protocol: PROTO.TCP,
  srcPort,
  dstPort,
  tcpFlags,
});
/** An ICMP(v6) error from `from` to `to` quoting `quote`. */
const icmpError = (from: string, to: string, icmpType: number, quote: PacketSpec) =>
  buildPacket({
    src: from,
    dst: to,
    protocol: from.includes(":") ? PROTO.ICMPV6 : PROTO.ICMP,
    icmpType,
    quote,
  });

export function relatedCases(harness: () => VerdictHarness): void {
  let h: VerdictHarness;
  const run = async (hook: "from_pod" | "to_pod", frame: Buffer) => {
    const v = await h.run(hook, "A", frame);
    return [v.pass, v.trace.reason, v.trace.policyId] as const;
  };

  it("ICMP errors quoting a packet of a tracked flow pass as related, in both directions and families", async () => {
    h = harness();
    await h.setEndpoint("A", EP.A({ ingress: true, egress: true }));
    await h.setPolicies([
      allow(21, "egress", ID.B, PROTO.TCP, 80, 16, 42, 0),
      allow(21, "egress", ID.B, PROTO.UDP, 53, 16, 43, 0),
      allow(21, "egress", ID.B, PROTO.TCP, 443, 16, 44, 0),
      allow(21, "ingress", ID.B, PROTO.UDP, 9000, 16, 45, 0),
    ]);
    const out = tcpSpec(IP.A, IP.B, 40000, 80, TCP_FLAGS.SYN);
    assert.equal((await run("from_pod", buildPacket(out)))[1], REASONS.PASS_POLICY);
    // Fragmentation needed (3) from a router on the path, about A's segment.
    assert.deepEqual(await run("to_pod", icmpError(ROUTER, IP.A, 3, { ...out, tcpFlags: ACK })), [
      true,
      REASONS.PASS_RELATED,
      42,
    ]);
    // Time exceeded (11) about A's UDP datagram.
    const dns = { src: IP.A, dst: IP.B, protocol: PROTO.UDP, srcPort: 5000, dstPort: 53 };
    assert.equal((await run("from_pod", buildPacket(dns)))[1], REASONS.PASS_POLICY);
    assert.deepEqual(await run("to_pod", icmpError(ROUTER, IP.A, 11, dns)), [true, REASONS.PASS_RELATED, 43]);
    // IPv6 Packet Too Big (2).
    const out6 = tcpSpec(IP.A6, IP.B6, 40001, 443, TCP_FLAGS.SYN);
    assert.equal((await run("from_pod", buildPacket(out6)))[1], REASONS.PASS_POLICY);
    assert.deepEqual(await run("to_pod", icmpError(ROUTER6, IP.A6, 2, out6)), [
      true,
      REASONS.PASS_RELATED,
      44,
    ]);
    // A's port unreachable about B's datagram to it (an ingress flow) leaves through from_pod.
    const inbound = { src: IP.B, dst: IP.A, protocol: PROTO.UDP, srcPort: 7000, dstPort: 9000 };
    assert.equal((await run("to_pod", buildPacket(inbound)))[1], REASONS.PASS_POLICY);
    assert.deepEqual(await run("from_pod", icmpError(IP.A, IP.B, 3, inbound)), [
      true,
      REASONS.PASS_RELATED,
      45,
    ]);
  });

  it("ICMP errors quoting no tracked flow are judged as plain ICMP", async () => {
    h = harness();
    await h.setEndpoint("A", EP.A({ ingress: true, egress: true }));
    await h.setPolicies([allow(21, "egress", ID.B, PROTO.TCP, 80)]);
    const out = tcpSpec(IP.A, IP.B, 40000, 80, TCP_FLAGS.SYN);
    assert.equal((await run("from_pod", buildPacket(out)))[1], REASONS.PASS_POLICY);
    // Another source port, the reversed flow, an echo reply quote: none is tracked by A.
    for (const quote of [
      { ...out, srcPort: 40001 },
      tcpSpec(IP.B, IP.A, 80, 40000),
      { src: IP.A, dst: IP.B, protocol: PROTO.ICMP, icmpType: 0, icmpId: 9 },
    ]) {
      assert.deepEqual(await run("to_pod", icmpError(ROUTER, IP.A, 3, quote)), [
        false,
        REASONS.DROP_POLICY_DENIED,
        511,
      ]);
    }
    // The quoted flow is tracked, but the error is of a type that quotes nothing (echo request).
    assert.equal(
      (
        await run(
          "to_pod",
          buildPacket({ src: ROUTER, dst: IP.A, protocol: PROTO.ICMP, icmpType: 8, quote: out }),
        )
      )[0],
      false,
    );
  });

  it("an ICMP error about a revoked flow is judged as plain ICMP, and the flow's entry is gone", async () => {
    h = harness();
    await h.setEndpoint("A", EP.A({ ingress: true, egress: true }));
    const entry = allow(21, "egress", ID.B, PROTO.TCP, 80, 16, 42, 0);
    await h.setPolicies([entry, allow(21, "ingress", ID.B, PROTO.ICMP, 0, 0, 46, 0)]);
    const out = tcpSpec(IP.A, IP.B, 40000, 80, TCP_FLAGS.SYN);
    assert.equal((await run("from_pod", buildPacket(out)))[1], REASONS.PASS_POLICY);
    await h.deletePolicies([entry]);
    assert.deepEqual(await run("to_pod", icmpError(IP.B, IP.A, 3, out)), [true, REASONS.PASS_POLICY, 46]);
    assert.deepEqual(
      (await h.conntrack()).map((l) => l.split(" ")[0]!.split("/")[2]),
      ["1"],
      "only the plain ICMP flow is tracked",
    );
  });

  it("later IPv4 fragments of an allowed datagram pass with its ports; unrelated and denied ones are dropped", async () => {
    h = harness();
    await h.setEndpoint("A", EP.A({ ingress: true, egress: true }));
    await h.setPolicies([allow(21, "egress", ID.B, PROTO.UDP, 53, 16, 43, 0)]);
    const frag = (
      srcPort: number,
      dstPort: number,
      fragmentId: number,
      fragmentOffset: number,
      more: boolean,
    ) =>
      buildPacket({
        src: IP.A,
        dst: IP.B,
        protocol: PROTO.UDP,
        srcPort,
        dstPort,
        payload: 64,
        fragmentId,
        fragmentOffset,
        moreFragments: more,
      });
    assert.deepEqual(await run("from_pod", frag(5000, 53, 0x1234, 0, true)), [true, REASONS.PASS_POLICY, 43]);
    assert.deepEqual(await run("from_pod", frag(0, 0, 0x1234, 185, true)), [
      true,
      REASONS.PASS_CONNTRACK,
      43,
    ]);
    assert.deepEqual(await run("from_pod", frag(0, 0, 0x1234, 370, false)), [
      true,
      REASONS.PASS_CONNTRACK,
      43,
    ]);
    // Another datagram id whose first fragment was never seen.
    assert.deepEqual(await run("from_pod", frag(0, 0, 0x1235, 185, false)), [
      false,
      REASONS.DROP_FRAGMENT,
      0,
    ]);
    // A denied datagram: its first fragment is dropped by policy, and so are the later ones.
    assert.deepEqual(await run("from_pod", frag(5001, 54, 0x2000, 0, true)), [
      false,
      REASONS.DROP_POLICY_DENIED,
      611,
    ]);
    assert.deepEqual(await run("from_pod", frag(0, 0, 0x2000, 185, false)), [
      false,
      REASONS.DROP_POLICY_DENIED,
      611,
    ]);
    // The reply datagram's fragments come back through the flow's entry.
    const reply = (fragmentOffset: number, more: boolean) =>
      buildPacket({
        src: IP.B,
        dst: IP.A,
        protocol: PROTO.UDP,
        srcPort: 53,
        dstPort: 5000,
        payload: 64,
        fragmentId: 0x77,
        fragmentOffset,
        moreFragments: more,
      });
    assert.deepEqual(await run("to_pod", reply(0, true)), [true, REASONS.PASS_CONNTRACK, 43]);
    assert.deepEqual(await run("to_pod", reply(185, false)), [true, REASONS.PASS_CONNTRACK, 43]);
  });
}
