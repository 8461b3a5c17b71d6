// Shared verdict cases of revocation: every write to the endpoint, ipcache or policy map bumps the
// policy generation, and a tracked flow judged under another generation is judged again (in its
// original direction) on its next packet; new connections on a tracked tuple are always judged.
import assert from "node:assert/strict";
import { it } from "node:test";
import { PROTO } from "../../wire/entries.ts";
import { REASONS } from "./codecs/reasons.ts";
import type { VerdictHarness } from "./testing/harness.ts";
import { TCP_FLAGS } from "./testing/packet.ts";
import { allow, EP, ID, IP, tcp, udp } from "./verdict-fixtures.ts";

const { SYN, ACK, FIN, RST } = TCP_FLAGS;

export function revocationCases(harness: () => VerdictHarness): void {
  let h: VerdictHarness;
  const verdict = async (hook: "from_pod" | "to_pod", frame: Buffer) => {
    const v = await h.run(hook, "A", frame);
    return [v.pass, v.trace.reason, v.trace.policyId, v.trace.ruleIndex] as const;
  };

  it("removing the allow revokes an established flow in both directions, attributed to the default deny", async () => {
    h = harness();
    await h.setEndpoint("A", EP.A({ ingress: true }));
    const entry = allow(21, "ingress", ID.B, PROTO.TCP, 80, 16, 42, 3);
    await h.setPolicies([entry]);
    assert.deepEqual(await verdict("to_pod", tcp(IP.B, IP.A, 1000, 80)), [true, REASONS.PASS_POLICY, 42, 3]);
    assert.deepEqual(await verdict("from_pod", tcp(IP.A, IP.B, 80, 1000, SYN | ACK)), [
      true,
      REASONS.PASS_CONNTRACK,
      42,
      3,
    ]);
    await h.deletePolicies([entry]);
    // The reply direction is judged too, as the flow's original (ingress) direction.
    assert.deepEqual(await verdict("from_pod", tcp(IP.A, IP.B, 80, 1000, ACK)), [
      false,
      REASONS.DROP_POLICY_DENIED,
      511,
      0,
    ]);
    assert.deepEqual(await h.conntrack(), []);
    assert.deepEqual(await verdict("to_pod", tcp(IP.B, IP.A, 1000, 80, ACK)), [
      false,
      REASONS.DROP_POLICY_DENIED,
      511,
      0,
    ]);
    // Drops only: the connection's creation was reported as a new_flow event too.
    const drops = (await h.takeEvents()).filter((e) => e.kind === "drop");
    assert.deepEqual(
      drops.map((e) => [e.direction, e.reasonName, e.policyId, e.peerIdentity]),
      [
        ["egress", "DROP_POLICY_DENIED", 511, ID.B],
        ["ingress", "DROP_POLICY_DENIED", 511, ID.B],
      ],
    );
  });

  it("an unrelated change leaves a tracked flow passing, and a change of its allowing entry moves its attribution", async () => {
    h = harness();
    await h.setEndpoint("A", EP.A({ egress: true }));
    await h.setPolicies([allow(21, "egress", ID.B, PROTO.UDP, 53, 16, 42, 1)]);
    assert.deepEqual(await verdict("from_pod", udp(IP.A, IP.B, 4000, 53)), [
      true,
      REASONS.PASS_POLICY,
      42,
      1,
    ]);
    await h.setPolicies([allow(21, "egress", ID.C, PROTO.TCP, 443, 16, 43, 0)]);
    await h.setIpcache([{ prefix: "10.99.0.0/16", identity: 1099, prefixIdentity: 0 }]);
    assert.deepEqual(await verdict("to_pod", udp(IP.B, IP.A, 53, 4000)), [
      true,
      REASONS.PASS_CONNTRACK,
      42,
      1,
    ]);
    assert.deepEqual(await verdict("from_pod", udp(IP.A, IP.B, 4000, 53)), [
      true,
      REASONS.PASS_CONNTRACK,
      42,
      1,
    ]);
    // A wider entry from another policy now also allows it; removing the first keeps the flow.
    await h.setPolicies([allow(21, "egress", ID.B, PROTO.UDP, 0, 0, 44, 2)]);
    await h.deletePolicies([allow(21, "egress", ID.B, PROTO.UDP, 53, 16, 42, 1)]);
    assert.deepEqual(await verdict("to_pod", udp(IP.B, IP.A, 53, 4000)), [
      true,
      REASONS.PASS_CONNTRACK,
      44,
      2,
    ]);
    assert.equal((await h.takeEvents()).filter((e) => e.kind === "drop").length, 0);
    assert.match((await h.conntrack()).join("\n"), /origin=1 peer=1002 policy=44\/2/);
  });

  it("an ipcache change that moves the peer to another identity revokes its flows", async () => {
    h = harness();
    await h.setEndpoint("A", EP.A({ egress: true }));
    await h.setPolicies([allow(21, "egress", ID.B, PROTO.TCP, 80)]);
    assert.equal((await verdict("from_pod", tcp(IP.A, IP.B, 40000, 80)))[1], REASONS.PASS_POLICY);
    await h.setIpcache([{ prefix: `${IP.B}/32`, identity: ID.C, prefixIdentity: 0 }]);
    assert.deepEqual(await verdict("to_pod", tcp(IP.B, IP.A, 80, 40000, SYN | ACK)), [
      false,
      REASONS.DROP_POLICY_DENIED,
      611,
      0,
    ]);
  });

  it("a SYN reusing a tracked tuple is judged again, and so is the peer's SYN on a closed flow", async () => {
    h = harness();
    await h.setEndpoint("A", EP.A({ ingress: true, egress: true }));
    await h.setPolicies([allow(21, "egress", ID.B, PROTO.TCP, 80, 16, 42, 0)]);
    assert.equal((await verdict("from_pod", tcp(IP.A, IP.B, 40000, 80)))[1], REASONS.PASS_POLICY);
    assert.equal((await verdict("to_pod", tcp(IP.B, IP.A, 80, 40000, SYN | ACK)))[1], REASONS.PASS_CONNTRACK);
    // Close: FIN both ways, then the last ACK in the reply direction still passes (finishing the close).
    assert.equal(
      (await verdict("from_pod", tcp(IP.A, IP.B, 40000, 80, FIN | ACK)))[1],
      REASONS.PASS_CONNTRACK,
    );
    assert.equal((await verdict("to_pod", tcp(IP.B, IP.A, 80, 40000, FIN | ACK)))[1], REASONS.PASS_CONNTRACK);
    assert.equal((await verdict("from_pod", tcp(IP.A, IP.B, 40000, 80, ACK)))[1], REASONS.PASS_CONNTRACK);
    assert.equal((await verdict("to_pod", tcp(IP.B, IP.A, 80, 40000, ACK)))[1], REASONS.PASS_CONNTRACK);
    // The peer opening a connection back with the tuple reversed is its own (denied) ingress flow.
    assert.deepEqual(await verdict("to_pod", tcp(IP.B, IP.A, 80, 40000, SYN)), [
      false,
      REASONS.DROP_POLICY_DENIED,
      511,
      0,
    ]);
    assert.deepEqual(await h.conntrack(), []);
    // The client reusing its source port is judged (a new entry), not passed by conntrack.
    assert.equal((await verdict("from_pod", tcp(IP.A, IP.B, 40000, 80)))[1], REASONS.PASS_POLICY);
    assert.equal((await verdict("from_pod", tcp(IP.A, IP.B, 40000, 80)))[1], REASONS.PASS_POLICY);
    assert.equal((await verdict("to_pod", tcp(IP.B, IP.A, 80, 40000, RST | ACK)))[1], REASONS.PASS_CONNTRACK);
    assert.equal((await verdict("from_pod", tcp(IP.A, IP.B, 40000, 80)))[1], REASONS.PASS_POLICY);
    assert.match((await h.conntrack()).join("\n"), /state=1 flags=0 origin=1/);
  });

  it("a SYN on a live tuple the policy now denies is dropped and the old entry removed", async () => {
    h = harness();
    await h.setEndpoint("A", EP.A({ egress: true }));
    const entry = allow(21, "egress", ID.B, PROTO.TCP, 80, 16, 42, 0);
    await h.setPolicies([entry]);
    assert.equal((await verdict("from_pod", tcp(IP.A, IP.B, 40000, 80)))[1], REASONS.PASS_POLICY);
    await h.deletePolicies([entry]);
    assert.deepEqual(await verdict("from_pod", tcp(IP.A, IP.B, 40000, 80)), [
      false,
      REASONS.DROP_POLICY_DENIED,
      611,
      0,
    ]);
    assert.deepEqual(await h.conntrack(), []);
  });
}
