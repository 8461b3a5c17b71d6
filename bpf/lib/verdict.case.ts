// The shared verdict suite: every verdict path of docs/architecture.md section 5, run against the real
// programs (verdict.bpf.test.ts) and the in-memory model (model/verdict.model.test.ts).
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { IDENTITY_ANY, IDENTITY_WORLD, PROTO, portRangeToPrefixes } from "../../wire/entries.ts";
import { REASONS } from "./codecs/reasons.ts";
import type { HarnessFactory, VerdictHarness } from "./testing/harness.ts";
import { buildPacket, ETH_P, rawFrame } from "./testing/packet.ts";
import { allow, EP, ID, IP, IPCACHE, tcp, udp } from "./verdict-fixtures.ts";
import { malformedCases } from "./verdict-malformed.case.ts";
import { relatedCases } from "./verdict-related.case.ts";
import { revocationCases } from "./verdict-revocation.case.ts";
import { statefulCases } from "./verdict-stateful.case.ts";
import { auditCases, tierCases } from "./verdict-tiers.case.ts";

export function verdictCases(factory: HarnessFactory, skip?: string): void {
  describe("verdicts", { skip }, () => {
    let h: VerdictHarness;
    before(async () => {
      h = await factory();
    });
    after(async () => {
      await h?.close();
    });
    beforeEach(async () => {
      await h.reset();
      await h.setIpcache(IPCACHE);
    });

    it("a packet on an interface without an endpoint is dropped as UNKNOWN_ENDPOINT, never passed", async () => {
      for (const hook of ["from_pod", "to_pod"] as const) {
        const v = await h.run(hook, "A", tcp(IP.A, IP.B, 1000, 80));
        assert.equal(v.pass, false);
        assert.equal(v.trace.reason, REASONS.DROP_UNKNOWN_ENDPOINT);
      }
      await h.setEndpoint("A", EP.A());
      assert.equal((await h.run("from_pod", "A", tcp(IP.A, IP.B, 1000, 80))).pass, true);
      await h.deleteEndpoint("A");
      assert.equal(
        (await h.run("from_pod", "A", tcp(IP.A, IP.B, 1001, 80))).trace.reason,
        REASONS.DROP_UNKNOWN_ENDPOINT,
      );
    });

    it("an endpoint that is not isolated passes new flows both ways and records the peer identity", async () => {
      await h.setEndpoint("A", EP.A());
      const out = await h.run("from_pod", "A", tcp(IP.A, IP.B, 1000, 80));
      assert.deepEqual(
        [out.pass, out.trace.reason, out.trace.identity],
        [true, REASONS.PASS_NOT_ISOLATED, ID.B],
      );
      const inn = await h.run("to_pod", "A", tcp(IP.C, IP.A, 2000, 8080));
      assert.deepEqual(
        [inn.pass, inn.trace.reason, inn.trace.identity],
        [true, REASONS.PASS_NOT_ISOLATED, ID.C],
      );
      assert.equal(inn.trace.endpointId, 11);
    });

    it("an isolated direction without a matching entry drops as POLICY_DENIED, attributed to the isolating policy", async () => {
      await h.setEndpoint("A", EP.A({ ingress: true }));
      const v = await h.run("to_pod", "A", tcp(IP.B, IP.A, 1000, 80));
      assert.equal(v.pass, false);
      assert.deepEqual(v.trace, {
        reason: REASONS.DROP_POLICY_DENIED,
        identity: ID.B,
        policyId: 511,
        ruleIndex: 0,
        endpointId: 11,
      });
      assert.equal(
        (await h.run("from_pod", "A", tcp(IP.A, IP.B, 1000, 80))).trace.reason,
        REASONS.PASS_NOT_ISOLATED,
      );
    });

    it("an entry for the peer identity, protocol and port allows with its policy and rule", async () => {
      await h.setEndpoint("A", EP.A({ ingress: true }));
      await h.setPolicies([allow(21, "ingress", ID.B, PROTO.TCP, 80, 16, 42, 3)]);
      const v = await h.run("to_pod", "A", tcp(IP.B, IP.A, 1000, 80));
      assert.deepEqual(
        [v.pass, v.trace.reason, v.trace.policyId, v.trace.ruleIndex],
        [true, REASONS.PASS_POLICY, 42, 3],
      );
      assert.equal((await h.run("to_pod", "A", tcp(IP.B, IP.A, 1001, 81))).pass, false);
      assert.equal((await h.run("to_pod", "A", udp(IP.B, IP.A, 1002, 80))).pass, false);
      assert.equal((await h.run("to_pod", "A", tcp(IP.C, IP.A, 1003, 80))).pass, false);
    });

    it("the wildcard identity matches every peer, world included", async () => {
      await h.setEndpoint("A", EP.A({ ingress: true }));
      await h.setPolicies([allow(21, "ingress", IDENTITY_ANY, PROTO.TCP, 443)]);
      assert.equal(
        (await h.run("to_pod", "A", tcp(IP.C, IP.A, 1000, 443))).trace.reason,
        REASONS.PASS_POLICY,
      );
      const world = await h.run("to_pod", "A", tcp("192.0.2.1", IP.A, 1000, 443));
      assert.deepEqual([world.pass, world.trace.identity], [true, IDENTITY_WORLD]);
      assert.equal((await h.run("to_pod", "A", tcp(IP.C, IP.A, 1001, 444))).pass, false);
    });

    it("an any-port entry matches every port of its protocol, and an any-protocol entry every protocol", async () => {
      await h.setEndpoint("A", EP.A({ egress: true }));
      await h.setPolicies([allow(21, "egress", ID.B, PROTO.UDP), allow(21, "egress", ID.C, PROTO.ANY)]);
      assert.equal((await h.run("from_pod", "A", udp(IP.A, IP.B, 1000, 53))).pass, true);
      assert.equal((await h.run("from_pod", "A", udp(IP.A, IP.B, 1000, 65535))).pass, true);
      assert.equal((await h.run("from_pod", "A", tcp(IP.A, IP.B, 1000, 53))).pass, false);
      assert.equal((await h.run("from_pod", "A", tcp(IP.A, IP.C, 1000, 1))).pass, true);
      assert.equal((await h.run("from_pod", "A", udp(IP.A, IP.C, 1000, 2))).pass, true);
      const icmp = buildPacket({ src: IP.A, dst: IP.C, protocol: PROTO.ICMP, icmpId: 5 });
      assert.equal((await h.run("from_pod", "A", icmp)).pass, true);
    });

    it("port ranges are matched at both edges, with a few prefix entries instead of one per port", async () => {
      await h.setEndpoint("A", EP.A({ ingress: true }));
      const prefixes = portRangeToPrefixes(1000, 1999);
      assert.ok(prefixes.length <= 10);
      await h.setPolicies(prefixes.map((p) => allow(21, "ingress", ID.B, PROTO.TCP, p.port, p.prefixLen)));
      const verdicts = [];
      for (const port of [999, 1000, 1001, 1500, 1998, 1999, 2000]) {
        verdicts.push((await h.run("to_pod", "A", tcp(IP.B, IP.A, 40000 + port, port))).pass);
      }
      assert.deepEqual(verdicts, [false, true, true, true, true, true, false]);
    });

    it("the most specific entry decides the attribution: exact port over any port over any protocol", async () => {
      await h.setEndpoint("A", EP.A({ ingress: true }));
      await h.setPolicies([
        allow(21, "ingress", ID.B, PROTO.ANY, 0, 0, 3),
        allow(21, "ingress", ID.B, PROTO.TCP, 0, 0, 2),
        allow(21, "ingress", ID.B, PROTO.TCP, 8080, 16, 1),
      ]);
      assert.equal((await h.run("to_pod", "A", tcp(IP.B, IP.A, 1000, 8080))).trace.policyId, 1);
      assert.equal((await h.run("to_pod", "A", tcp(IP.B, IP.A, 1001, 8081))).trace.policyId, 2);
      assert.equal((await h.run("to_pod", "A", udp(IP.B, IP.A, 1002, 8080))).trace.policyId, 3);
    });

    it("an ipBlock with except applies through the longest ipcache prefix, pod addresses included", async () => {
      await h.setEndpoint("A", EP.A({ egress: true }));
      await h.setIpcache([
        { prefix: "10.20.0.0/16", identity: IDENTITY_WORLD, prefixIdentity: ID.CIDR },
        { prefix: "10.20.5.0/24", identity: IDENTITY_WORLD, prefixIdentity: 0 },
        { prefix: "10.20.9.9/32", identity: ID.C, prefixIdentity: ID.CIDR },
      ]);
      await h.setPolicies([allow(21, "egress", ID.CIDR, PROTO.TCP, 5432, 16, 9, 1)]);
      const inBlock = await h.run("from_pod", "A", tcp(IP.A, "10.20.1.1", 1000, 5432));
      assert.deepEqual(
        [inBlock.pass, inBlock.trace.identity, inBlock.trace.policyId],
        [true, IDENTITY_WORLD, 9],
      );
      const except = await h.run("from_pod", "A", tcp(IP.A, "10.20.5.5", 1000, 5432));
      assert.deepEqual([except.pass, except.trace.reason], [false, REASONS.DROP_POLICY_DENIED]);
      const pod = await h.run("from_pod", "A", tcp(IP.A, "10.20.9.9", 1000, 5432));
      assert.deepEqual([pod.pass, pod.trace.identity], [true, ID.C]);
      assert.equal((await h.run("from_pod", "A", tcp(IP.A, "10.21.0.1", 1000, 5432))).pass, false);
    });

    it("traffic from the node itself passes an isolated ingress, while egress to the node needs a rule", async () => {
      await h.setEndpoint("A", EP.A({ ingress: true, egress: true }));
      await h.setIpcache([{ prefix: "10.10.0.1/32", identity: 1, prefixIdentity: 0 }]);
      const v = await h.run("to_pod", "A", tcp("10.10.0.1", IP.A, 1000, 8080));
      assert.deepEqual([v.pass, v.trace.reason, v.trace.identity], [true, REASONS.PASS_HOST, 1]);
      assert.equal(
        (await h.run("from_pod", "A", tcp(IP.A, "10.10.0.1", 1000, 80))).trace.reason,
        REASONS.DROP_POLICY_DENIED,
      );
    });

    it("IPv6 packets get identities from exact and prefix ipcache entries and are decided like IPv4", async () => {
      await h.setEndpoint("A", EP.A({ ingress: true }));
      await h.setIpcache([{ prefix: "fd00:20::/64", identity: IDENTITY_WORLD, prefixIdentity: ID.CIDR }]);
      await h.setPolicies([
        allow(21, "ingress", ID.B, PROTO.TCP, 80),
        allow(21, "ingress", ID.CIDR, PROTO.TCP, 80),
      ]);
      const v = await h.run("to_pod", "A", tcp(IP.B6, IP.A6, 1000, 80));
      assert.deepEqual([v.pass, v.trace.identity], [true, ID.B]);
      assert.equal((await h.run("to_pod", "A", tcp(IP.B6, IP.A6, 1000, 81))).pass, false);
      const world = await h.run("to_pod", "A", tcp("fd00:99::1", IP.A6, 1000, 80));
      assert.deepEqual([world.pass, world.trace.identity], [false, IDENTITY_WORLD]);
      assert.equal((await h.run("to_pod", "A", tcp("fd00:20::5", IP.A6, 1000, 80))).pass, true);
    });

    it("SCTP and UDP destination ports are matched", async () => {
      await h.setEndpoint("A", EP.A({ ingress: true }));
      await h.setPolicies([
        allow(21, "ingress", ID.B, PROTO.SCTP, 9000),
        allow(21, "ingress", ID.B, PROTO.UDP, 53),
      ]);
      const sctp = (port: number) =>
        buildPacket({ src: IP.B, dst: IP.A, protocol: PROTO.SCTP, srcPort: 5000, dstPort: port });
      assert.equal((await h.run("to_pod", "A", sctp(9000))).pass, true);
      assert.equal((await h.run("to_pod", "A", sctp(9001))).pass, false);
      assert.equal((await h.run("to_pod", "A", udp(IP.B, IP.A, 5000, 53))).pass, true);
      assert.equal((await h.run("to_pod", "A", udp(IP.B, IP.A, 5000, 54))).pass, false);
    });

    it("ARP and neighbour discovery pass deliberately, other ICMPv6 is subject to policy", async () => {
      assert.equal(
        (await h.run("to_pod", "A", rawFrame(ETH_P.ARP, new Array(28).fill(0)))).trace.reason,
        REASONS.DROP_UNKNOWN_ENDPOINT,
      );
      await h.setEndpoint("A", EP.A({ ingress: true, egress: true }));
      assert.equal(
        (await h.run("to_pod", "A", rawFrame(ETH_P.ARP, new Array(28).fill(0)))).trace.reason,
        REASONS.PASS_ARP,
      );
      for (const type of [133, 134, 135, 136, 137]) {
        const nd = buildPacket({ src: IP.B6, dst: IP.A6, protocol: PROTO.ICMPV6, icmpType: type });
        assert.equal(
          (await h.run("to_pod", "A", nd)).trace.reason,
          REASONS.PASS_NEIGHBOUR,
          `ICMPv6 type ${type}`,
        );
      }
      const echo = buildPacket({ src: IP.B6, dst: IP.A6, protocol: PROTO.ICMPV6, icmpType: 128, icmpId: 1 });
      assert.equal((await h.run("to_pod", "A", echo)).trace.reason, REASONS.DROP_POLICY_DENIED);
    });

    statefulCases(() => h);
    revocationCases(() => h);
    relatedCases(() => h);
    malformedCases(() => h);
    tierCases(() => h);
    auditCases(() => h);
  });
}
