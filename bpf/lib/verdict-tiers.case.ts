// Shared verdict cases of the ClusterNetworkPolicy tiers (bpf/include/tiers.h): Admin before
// NetworkPolicy, Baseline only for a direction no NetworkPolicy isolates, Pass, priority across
// the peer's identity and its prefix identity, and attribution. Entries are written as the
// compiler leaves them (no entry shadowed by a containing entry of better precedence).
import assert from "node:assert/strict";
import { it } from "node:test";
import {
  type Direction,
  FIRST_NAMESPACE_IDENTITY,
  IDENTITY_ANY_POD,
  IDENTITY_WORLD,
  namespaceMapPrefix,
  type PolicyEntry,
  PROTO,
  type TierName,
} from "../../wire/entries.ts";
import { REASONS } from "./codecs/reasons.ts";
import type { VerdictHarness } from "./testing/harness.ts";
import { allow, EP, ID, IP, tcp, udp } from "./verdict-fixtures.ts";

const CNP = 0x4000_0001;

interface TierSpec {
  tier?: TierName;
  verdict: "accept" | "deny" | "pass";
  direction: Direction;
  remote: number;
  protocol?: number;
  port?: number;
  priority?: number;
  policyId?: number;
  ruleIndex?: number;
}

/** A tier entry of endpoint A's set (21). */
export function tierEntry(s: TierSpec): PolicyEntry {
  const protocol = s.protocol ?? PROTO.ANY;
  return {
    policySetId: 21,
    direction: s.direction,
    remoteIdentity: s.remote,
    protocol,
    port: s.port ?? 0,
    portPrefixLen: protocol === PROTO.ANY || s.port === undefined ? 0 : 16,
    verdict: s.verdict,
    policyId: s.policyId ?? CNP,
    ruleIndex: s.ruleIndex ?? 0,
    tier: s.tier ?? "admin",
    priority: s.priority ?? 0,
  };
}

/** Endpoint A with every tier flag set (the compiler sets them when a cluster policy selects it). */
function tiered(iso?: { ingress?: boolean; egress?: boolean }) {
  return { ...EP.A(iso), ingressAdmin: true, egressAdmin: true, ingressBaseline: true, egressBaseline: true };
}

export function tierCases(harness: () => VerdictHarness): void {
  let h: VerdictHarness;
  const inB = (port = 80) => h.run("to_pod", "A", tcp(IP.B, IP.A, 40000 + port, port));

  it("an Admin Deny drops what a NetworkPolicy allows, attributed to the cluster policy's rule", async () => {
    h = harness();
    await h.setEndpoint("A", tiered({ ingress: true }));
    await h.setPolicies([
      allow(21, "ingress", ID.B, PROTO.TCP, 80),
      tierEntry({ verdict: "deny", direction: "ingress", remote: ID.B, ruleIndex: 3 }),
    ]);
    const v = await inB();
    assert.deepEqual(
      [v.pass, v.trace.reason, v.trace.policyId, v.trace.ruleIndex, v.trace.identity],
      [false, REASONS.DROP_ADMIN_DENIED, CNP, 3, ID.B],
    );
    const [event] = await h.takeEvents();
    assert.deepEqual([event?.reason, event?.policyId, event?.ruleIndex], [REASONS.DROP_ADMIN_DENIED, CNP, 3]);
    assert.equal((await h.counter(0, REASONS.DROP_ADMIN_DENIED)).packets, 1);
  });

  it("an Admin Accept passes what NetworkPolicy isolation would drop, statefully", async () => {
    h = harness();
    await h.setEndpoint("A", tiered({ ingress: true }));
    await h.setPolicies([
      tierEntry({ verdict: "accept", direction: "ingress", remote: ID.B, protocol: PROTO.TCP, port: 80 }),
    ]);
    const v = await inB();
    assert.deepEqual([v.pass, v.trace.reason, v.trace.policyId], [true, REASONS.PASS_ADMIN, CNP]);
    const reply = await h.run("from_pod", "A", tcp(IP.A, IP.B, 80, 40080, 0x12));
    assert.equal(reply.trace.reason, REASONS.PASS_CONNTRACK);
    assert.equal((await inB(81)).trace.reason, REASONS.DROP_POLICY_DENIED);
  });

  it("Pass hands the decision to NetworkPolicy, and to Baseline and the default when none isolates", async () => {
    h = harness();
    const pass = tierEntry({ verdict: "pass", direction: "ingress", remote: ID.B });
    await h.setEndpoint("A", tiered({ ingress: true }));
    await h.setPolicies([pass, allow(21, "ingress", ID.B, PROTO.TCP, 80)]);
    assert.equal((await inB(80)).trace.reason, REASONS.PASS_POLICY);
    assert.equal((await inB(81)).trace.reason, REASONS.DROP_POLICY_DENIED);
    await h.setEndpoint("A", tiered());
    await h.setPolicies([
      tierEntry({
        tier: "baseline",
        verdict: "deny",
        direction: "ingress",
        remote: ID.B,
        protocol: PROTO.TCP,
        port: 82,
      }),
    ]);
    assert.equal((await inB(83)).trace.reason, REASONS.PASS_NOT_ISOLATED);
    assert.equal((await inB(82)).trace.reason, REASONS.DROP_BASELINE_DENIED);
  });

  it("Baseline decides only a direction that no NetworkPolicy isolates", async () => {
    h = harness();
    await h.setEndpoint("A", tiered({ ingress: true }));
    await h.setPolicies([
      allow(21, "ingress", ID.B, PROTO.TCP, 80),
      tierEntry({ tier: "baseline", verdict: "deny", direction: "ingress", remote: ID.B }),
      tierEntry({ tier: "baseline", verdict: "deny", direction: "egress", remote: ID.B }),
      tierEntry({
        tier: "baseline",
        verdict: "accept",
        direction: "egress",
        remote: ID.C,
        protocol: PROTO.UDP,
        port: 53,
      }),
    ]);
    assert.equal((await inB(80)).trace.reason, REASONS.PASS_POLICY);
    assert.equal((await inB(81)).trace.reason, REASONS.DROP_POLICY_DENIED);
    const out = await h.run("from_pod", "A", tcp(IP.A, IP.B, 1000, 80));
    assert.equal(out.trace.reason, REASONS.DROP_BASELINE_DENIED);
    const dns = await h.run("from_pod", "A", udp(IP.A, IP.C, 1000, 53));
    assert.equal(dns.trace.reason, REASONS.PASS_BASELINE);
  });

  it("the best-ranked hit wins across the peer's identity and its prefix identity", async () => {
    h = harness();
    await h.setEndpoint("A", tiered());
    await h.setIpcache([{ prefix: `${IP.B}/32`, identity: ID.B, prefixIdentity: ID.CIDR }]);
    const byPrefix = (verdict: "accept" | "deny", priority: number, ruleIndex: number) =>
      tierEntry({
        verdict,
        direction: "ingress",
        remote: ID.CIDR,
        priority,
        ruleIndex,
        protocol: PROTO.TCP,
        port: 80,
      });
    const byIdentity = (verdict: "accept" | "deny", priority: number) =>
      tierEntry({ verdict, direction: "ingress", remote: ID.B, priority });
    await h.setPolicies([byPrefix("deny", 5, 1), byIdentity("accept", 1)]);
    assert.equal((await inB(80)).trace.reason, REASONS.PASS_ADMIN);
    await h.reset();
    await h.setEndpoint("A", tiered());
    await h.setIpcache([{ prefix: `${IP.B}/32`, identity: ID.B, prefixIdentity: ID.CIDR }]);
    await h.setPolicies([byPrefix("deny", 1, 2), byIdentity("accept", 5)]);
    const v = await inB(80);
    assert.deepEqual([v.trace.reason, v.trace.ruleIndex], [REASONS.DROP_ADMIN_DENIED, 2]);
    assert.equal((await inB(81)).trace.reason, REASONS.PASS_ADMIN, "only the identity's entry covers 81");
  });

  it("an endpoint without the tier flags never looks the tiers up", async () => {
    h = harness();
    await h.setEndpoint("A", EP.A());
    await h.setPolicies([tierEntry({ verdict: "deny", direction: "ingress", remote: ID.B })]);
    assert.equal((await inB(80)).trace.reason, REASONS.PASS_NOT_ISOLATED);
    await h.setEndpoint("A", tiered());
    assert.equal((await inB(81)).trace.reason, REASONS.DROP_ADMIN_DENIED);
  });

  it("an entry for every pod (IDENTITY_ANY_POD) matches pod identities, never outside addresses", async () => {
    h = harness();
    await h.setEndpoint("A", tiered());
    await h.setPolicies([
      tierEntry({ verdict: "deny", direction: "ingress", remote: IDENTITY_ANY_POD, priority: 3 }),
    ]);
    assert.equal((await inB(80)).trace.reason, REASONS.DROP_ADMIN_DENIED);
    const world = await h.run("to_pod", "A", tcp("198.51.100.9", IP.A, 1000, 80));
    assert.equal(world.trace.reason, REASONS.PASS_NOT_ISOLATED);
    await h.setPolicies([tierEntry({ verdict: "accept", direction: "ingress", remote: ID.B, priority: 1 })]);
    assert.equal((await inB(81)).trace.reason, REASONS.PASS_ADMIN, "the better-ranked identity entry wins");
  });

  it("a namespace entry matches the pods the namespace map puts there, and nothing else", async () => {
    h = harness();
    const NS = FIRST_NAMESPACE_IDENTITY + 7;
    await h.setEndpoint("A", tiered());
    await h.setIpcache([{ prefix: namespaceMapPrefix(ID.B), identity: NS, prefixIdentity: 0 }]);
    await h.setPolicies([tierEntry({ verdict: "deny", direction: "ingress", remote: NS, priority: 5 })]);
    const v = await inB(80);
    assert.deepEqual([v.trace.reason, v.trace.identity], [REASONS.DROP_ADMIN_DENIED, ID.B]);
    assert.equal(
      (await h.run("to_pod", "A", tcp(IP.C, IP.A, 1000, 80))).trace.reason,
      REASONS.PASS_NOT_ISOLATED,
      "C's identity has no namespace-map entry",
    );
    // Precedence across the namespace entry and the identity's own entries: best rank wins.
    await h.setPolicies([
      tierEntry({ verdict: "deny", direction: "ingress", remote: NS, priority: 5 }),
      tierEntry({
        verdict: "accept",
        direction: "ingress",
        remote: ID.B,
        protocol: PROTO.TCP,
        port: 81,
        priority: 1,
      }),
      tierEntry({
        verdict: "accept",
        direction: "ingress",
        remote: ID.B,
        protocol: PROTO.TCP,
        port: 82,
        priority: 9,
      }),
    ]);
    assert.equal((await inB(81)).trace.reason, REASONS.PASS_ADMIN);
    assert.equal((await inB(82)).trace.reason, REASONS.DROP_ADMIN_DENIED);
    // Only a namespace identity counts: a covering prefix (::/0 gives world) or an entry holding
    // a label identity names no namespace.
    await h.reset();
    await h.setEndpoint("A", tiered());
    await h.setIpcache([
      { prefix: `${IP.B}/32`, identity: ID.B, prefixIdentity: 0 },
      { prefix: `${IP.C}/32`, identity: ID.C, prefixIdentity: 0 },
      { prefix: "::/0", identity: IDENTITY_WORLD, prefixIdentity: 0 },
      { prefix: namespaceMapPrefix(ID.C), identity: ID.B, prefixIdentity: 0 },
    ]);
    await h.setPolicies([
      tierEntry({ verdict: "deny", direction: "ingress", remote: IDENTITY_WORLD, priority: 5 }),
      tierEntry({ verdict: "deny", direction: "ingress", remote: ID.B, protocol: PROTO.TCP, port: 90 }),
    ]);
    assert.equal((await inB(80)).trace.reason, REASONS.PASS_NOT_ISOLATED, "::/0 names no namespace");
    assert.equal(
      (await h.run("to_pod", "A", tcp(IP.C, IP.A, 1000, 90))).trace.reason,
      REASONS.PASS_NOT_ISOLATED,
      "an entry holding a label identity names no namespace",
    );
    assert.equal((await inB(90)).trace.reason, REASONS.DROP_ADMIN_DENIED);
  });

  it("a narrower entry of better precedence wins inside a broader one; elsewhere the broader decides", async () => {
    h = harness();
    await h.setEndpoint("A", tiered());
    await h.setPolicies([
      tierEntry({
        verdict: "accept",
        direction: "ingress",
        remote: ID.B,
        protocol: PROTO.TCP,
        port: 80,
        priority: 1,
      }),
      tierEntry({ verdict: "deny", direction: "ingress", remote: ID.B, priority: 2 }),
    ]);
    assert.equal((await inB(80)).trace.reason, REASONS.PASS_ADMIN);
    assert.equal((await inB(81)).trace.reason, REASONS.DROP_ADMIN_DENIED);
    const u = await h.run("to_pod", "A", udp(IP.B, IP.A, 1000, 80));
    assert.equal(u.trace.reason, REASONS.DROP_ADMIN_DENIED);
    // Another endpoint's tier entries never apply (they are keyed by its policy set).
    const c = await h.run("to_pod", "A", tcp(IP.C, IP.A, 1000, 81));
    assert.equal(c.trace.reason, REASONS.PASS_NOT_ISOLATED);
  });
}

/** Endpoint A with a policy in audit mode on its ingress (isolating in the audit view when `isolated`). */
function auditedA(isolated: boolean, deployedIsolated = false) {
  return {
    ...EP.A({ ingress: deployedIsolated }),
    ingressAudit: true,
    ...(isolated ? { ingressIsolatedAll: true } : {}),
  };
}

export function auditCases(harness: () => VerdictHarness): void {
  let h: VerdictHarness;
  const inFrom = (ip: string, port = 80) => h.run("to_pod", "A", tcp(ip, IP.A, 40000 + port, port));
  const auditAllow = (remote: number, port: number): PolicyEntry => ({
    ...allow(21, "ingress", remote, PROTO.TCP, port),
    verdict: "accept",
    audit: true,
  });
  const marker: PolicyEntry = {
    ...allow(21, "ingress", 0, PROTO.ANY, 0, 0, 77, 0),
    verdict: "deny",
    audit: true,
  };

  it("a NetworkPolicy in audit mode never isolates: what it alone would drop passes as AUDIT, evented", async () => {
    h = harness();
    await h.setEndpoint("A", auditedA(true));
    await h.setPolicies([auditAllow(ID.B, 80), marker]);
    assert.equal((await inFrom(IP.B)).trace.reason, REASONS.PASS_NOT_ISOLATED);
    const v = await inFrom(IP.C);
    assert.deepEqual([v.pass, v.trace.reason, v.trace.policyId], [true, REASONS.PASS_AUDIT, 77]);
    // The audit pass is reported as the drop it would have been (new connections are reported too).
    const [event] = (await h.takeEvents()).filter((e) => e.kind === "drop");
    assert.deepEqual([event?.reason, event?.policyId], [REASONS.PASS_AUDIT, 77]);
    const reply = await h.run("from_pod", "A", tcp(IP.A, IP.C, 80, 40080, 0x12));
    assert.equal(reply.trace.reason, REASONS.PASS_CONNTRACK);
    assert.equal((await h.counter(0, REASONS.PASS_AUDIT)).packets, 1);
  });

  it("an Admin Deny in audit mode passes as AUDIT named for its rule; a deployed drop stays a drop", async () => {
    h = harness();
    await h.setEndpoint("A", auditedA(false));
    await h.setPolicies([
      { ...tierEntry({ verdict: "deny", direction: "ingress", remote: ID.B, ruleIndex: 2 }), audit: true },
    ]);
    const v = await inFrom(IP.B);
    assert.deepEqual(
      [v.pass, v.trace.reason, v.trace.policyId, v.trace.ruleIndex],
      [true, REASONS.PASS_AUDIT, CNP, 2],
    );
    assert.equal((await inFrom(IP.C)).trace.reason, REASONS.PASS_NOT_ISOLATED);
    await h.setEndpoint("A", auditedA(false, true));
    assert.equal((await inFrom(IP.B, 81)).trace.reason, REASONS.DROP_POLICY_DENIED);
  });

  it("switching to enforce is one entry change: the same packet is then dropped", async () => {
    h = harness();
    await h.setEndpoint("A", auditedA(false));
    const audited = { ...tierEntry({ verdict: "deny", direction: "ingress", remote: ID.B }), audit: true };
    await h.setPolicies([audited]);
    assert.equal((await inFrom(IP.B, 80)).trace.reason, REASONS.PASS_AUDIT);
    await h.deletePolicies([audited]);
    await h.setEndpoint("A", { ...EP.A(), ingressAdmin: true });
    await h.setPolicies([tierEntry({ verdict: "deny", direction: "ingress", remote: ID.B })]);
    assert.equal((await inFrom(IP.B, 81)).trace.reason, REASONS.DROP_ADMIN_DENIED);
  });
}
