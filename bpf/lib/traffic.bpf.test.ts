// Real traffic between namespace pods through a bridge (docs/architecture.md section 6): the programs are
// attached to the pods' host veths, maps are updated live, and TCP and UDP are allowed and
// dropped as the policy says; the attachment outlives the handle that made it; detach restores.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { runPrefix } from "../../lib/netns/names.ts";
import { createTopology, type Pod, type Topology } from "../../lib/netns/topology.ts";
import { PROTO } from "../../wire/entries.ts";
import type { DropEvent } from "./codecs/events.ts";
import { REASONS } from "./codecs/reasons.ts";
import { BpfDatapath } from "./datapath.ts";
import { applyEndpoints, applyIpcache, applyPolicies } from "./datapath-maps.ts";
import { kernelTestSkipReason } from "./features.ts";
import { native } from "./native.ts";
import { readCounter, subscribeDropEvents } from "./stats.ts";
import { tempPinDir } from "./testing/kernel.ts";
import { allow, endpoint } from "./verdict-fixtures.ts";

const TCP_OPEN = 8080;
const TCP_CLOSED = 9090;
const UDP = 5353;
const ID_A = 2001;
const ID_B = 2002;

describe("real traffic between namespace pods", { skip: kernelTestSkipReason() }, () => {
  let topo: Topology;
  let pins: ReturnType<typeof tempPinDir>;
  let dp: BpfDatapath | undefined;

  before(async () => {
    pins = tempPinDir();
    topo = await createTopology({
      prefix: runPrefix("k"),
      pods: ["a", "b"],
      serve: { tcp: [TCP_OPEN, TCP_CLOSED], udp: [UDP] },
    });
  });
  after(() => {
    // Deleting the veths ends their attachments; removing the pin dir drops the maps and links.
    try {
      dp?.close();
    } finally {
      topo?.teardown();
      pins?.remove();
    }
  });

  const [a, b] = [() => topo.pods[0]!, () => topo.pods[1]!];
  /** One TCP connect (the server's greeting arrives) or UDP echo from inside `from`. */
  const probe = async (from: Pod, proto: "tcp" | "udp", ip: string, port: number) =>
    (await from.prober.probe(proto, ip, port, 1500)).ok;

  it("without programs, the pods reach each other over TCP and UDP", async () => {
    assert.equal(await probe(a(), "tcp", b().ip, TCP_OPEN), true);
    assert.equal(await probe(a(), "udp", b().ip, UDP), true);
    assert.equal(await probe(b(), "tcp", a().ip, TCP_CLOSED), true);
  });

  it("an isolated pod drops new connections until a policy entry is added live, and replies pass", async () => {
    dp = await BpfDatapath.load({
      pinDir: pins.dir,
      sizes: { ipcache: 1024, policies: 1024, conntrack: 4096 },
    });
    const c = dp.collection;
    await applyIpcache(c, {
      upsert: [
        { prefix: `${a().ip}/32`, identity: ID_A, prefixIdentity: 0 },
        { prefix: `${b().ip}/32`, identity: ID_B, prefixIdentity: 0 },
        { prefix: `${topo.gateway}/32`, identity: 1, prefixIdentity: 0 },
      ],
    });
    const ifA = native().ifIndex(a().hostIf);
    const ifB = native().ifIndex(b().hostIf);
    await applyEndpoints(c, {
      upsert: [
        { ifindex: ifA, entry: endpoint(1, ID_A, 31, { ingress: true }) },
        { ifindex: ifB, entry: endpoint(2, ID_B, 32, { ingress: true }) },
      ],
    });
    dp.attach(a().hostIf);
    dp.attach(b().hostIf);
    const events: DropEvent[] = [];
    const reader = subscribeDropEvents(c, (e) => events.push(...e));
    try {
      assert.equal(await probe(a(), "tcp", b().ip, TCP_OPEN), false, "B is isolated with no rule");
      assert.equal(await probe(a(), "udp", b().ip, UDP), false);
      await applyPolicies(c, {
        upsert: [
          allow(32, "ingress", ID_A, PROTO.TCP, TCP_OPEN, 16, 77, 0),
          allow(32, "ingress", ID_A, PROTO.UDP, UDP, 16, 77, 1),
        ],
      });
      // A's ingress is isolated too: B's replies reach A only through A's conntrack entry.
      assert.equal(await probe(a(), "tcp", b().ip, TCP_OPEN), true);
      assert.equal(await probe(a(), "udp", b().ip, UDP), true);
      assert.equal(await probe(a(), "tcp", b().ip, TCP_CLOSED), false, "port without an entry");
      assert.equal(await probe(b(), "tcp", a().ip, TCP_OPEN), false, "A is isolated");
      reader.consume();
      assert.ok(readCounter(c, 0, REASONS.DROP_POLICY_DENIED).packets > 0n);
      assert.ok(readCounter(c, 0, REASONS.PASS_POLICY).packets > 0n);
      assert.ok(readCounter(c, 0, REASONS.PASS_CONNTRACK).packets > 0n);
      const toB = events.find((e) => e.kind === "drop" && e.dstAddr === b().ip && e.dstPort === TCP_CLOSED);
      assert.deepEqual(
        [toB?.endpointId, toB?.direction, toB?.peerIdentity, toB?.policyId],
        [2, "ingress", ID_A, 502],
      );
      // A's egress to B on the closed port is a new connection (A is not egress-isolated) that
      // B then drops: both are reported, each by the endpoint whose program saw it.
      const fromA = events.find(
        (e) => e.kind === "new_flow" && e.dstAddr === b().ip && e.dstPort === TCP_OPEN,
      );
      assert.deepEqual(
        [fromA?.endpointId, fromA?.direction, fromA?.reasonName],
        [1, "egress", "PASS_NOT_ISOLATED"],
      );
    } finally {
      reader.close();
    }
  });

  it("the attachment keeps enforcing after the handle that made it is closed", async () => {
    dp?.close();
    dp = undefined;
    assert.equal(await probe(a(), "tcp", b().ip, TCP_OPEN), true);
    assert.equal(await probe(a(), "tcp", b().ip, TCP_CLOSED), false);
  });

  it("detaching restores unfiltered traffic", async () => {
    const again = await BpfDatapath.load({
      pinDir: pins.dir,
      sizes: { ipcache: 1024, policies: 1024, conntrack: 4096 },
    });
    try {
      assert.deepEqual(
        again.pinnedInterfaces(),
        topo.pods.map((p) => native().ifIndex(p.hostIf)).sort((x, y) => x - y),
      );
      for (const pod of topo.pods) again.detach(pod.hostIf);
    } finally {
      again.close();
    }
    assert.equal(await probe(a(), "tcp", b().ip, TCP_CLOSED), true);
    assert.equal(await probe(b(), "udp", a().ip, UDP), true);
  });

  it("legacy tc filters enforce the same policy, and detach cleanly", async () => {
    const legacy = await BpfDatapath.load({
      pinDir: pins.dir,
      sizes: { ipcache: 1024, policies: 1024, conntrack: 4096 },
    });
    try {
      for (const pod of topo.pods)
        assert.equal(legacy.attach(pod.hostIf, { mode: "legacy" }).fromPod.kind, "legacy");
      assert.equal(await probe(a(), "tcp", b().ip, TCP_OPEN), true);
      assert.equal(await probe(a(), "tcp", b().ip, TCP_CLOSED), false);
      for (const pod of topo.pods) legacy.detach(pod.hostIf);
      assert.equal(await probe(a(), "tcp", b().ip, TCP_CLOSED), true);
    } finally {
      legacy.close();
    }
  });
});
