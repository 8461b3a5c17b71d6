// Conntrack entries in the kernel: TCP states and lifetimes, and userspace garbage collection.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CT_STATE, CT_TIMEOUT } from "./codecs/conntrack.ts";
import { skbContext } from "./codecs/skb.ts";
import { gcConntrack, readConntrack } from "./conntrack-gc.ts";
import { BpfDatapath } from "./datapath.ts";
import { applyEndpoints, applyIpcache } from "./datapath-maps.ts";
import { kernelTestSkipReason } from "./features.ts";
import { native } from "./native.ts";
import { tempVeth } from "./testing/kernel.ts";
import { TCP_FLAGS } from "./testing/packet.ts";
import { EP, IP, IPCACHE, tcp, udp } from "./verdict-fixtures.ts";

const skip = kernelTestSkipReason();
const { SYN, ACK, FIN, RST } = TCP_FLAGS;
const SEC = 1_000_000_000n;

describe("conntrack", { skip }, () => {
  let dp: BpfDatapath;
  let veth: ReturnType<typeof tempVeth>;
  const out = (f: Buffer) => dp.collection.program("from_pod").run(f, { ctx: skbContext(veth.ifindex) });
  const inn = (f: Buffer) => dp.collection.program("to_pod").run(f, { ctx: skbContext(veth.ifindex) });
  const flow = async (localPort: number) =>
    (await readConntrack(dp.collection)).find((e) => e.key.localPort === localPort);

  before(async () => {
    veth = tempVeth();
    dp = await BpfDatapath.load({ sizes: { ipcache: 64, policies: 64, endpoints: 8, conntrack: 256 } });
    await applyEndpoints(dp.collection, { upsert: [{ ifindex: veth.ifindex, entry: EP.A() }] });
    await applyIpcache(dp.collection, { upsert: IPCACHE });
  });
  after(() => {
    dp?.close();
    veth?.remove();
  });

  it("a TCP flow moves SYN_SENT, ESTABLISHED, FIN, CLOSE, with the lifetime of each state", async () => {
    const expect = async (state: number, timeout: number) => {
      const now = native().monotonicNs();
      const e = await flow(40000);
      assert.equal(e?.value.state, state);
      const left = e!.value.expiresNs - now;
      assert.ok(
        left <= BigInt(timeout) * SEC && left > BigInt(timeout - 5) * SEC,
        `lifetime ${left} for state ${state}`,
      );
    };
    out(tcp(IP.A, IP.B, 40000, 80, SYN));
    const e = await flow(40000);
    assert.deepEqual(
      [e?.key.endpointId, e?.key.remotePort, e?.value.origin, e?.value.peerIdentity],
      [11, 80, 1, 1002],
    );
    await expect(CT_STATE.SYN_SENT, CT_TIMEOUT.SYN);
    inn(tcp(IP.B, IP.A, 80, 40000, SYN | ACK));
    await expect(CT_STATE.ESTABLISHED, CT_TIMEOUT.ESTABLISHED);
    out(tcp(IP.A, IP.B, 40000, 80, FIN | ACK));
    await expect(CT_STATE.FIN, CT_TIMEOUT.FIN);
    inn(tcp(IP.B, IP.A, 80, 40000, FIN | ACK));
    await expect(CT_STATE.CLOSE, CT_TIMEOUT.CLOSE);
    out(tcp(IP.A, IP.B, 40001, 80, SYN));
    inn(tcp(IP.B, IP.A, 80, 40001, RST));
    assert.equal((await flow(40001))?.value.state, CT_STATE.CLOSE);
  });

  it("a new connection on a closed flow's tuple resets its entry in place: new state, no FIN flags, one entry", async () => {
    out(tcp(IP.A, IP.B, 40003, 80, SYN));
    inn(tcp(IP.B, IP.A, 80, 40003, SYN | ACK));
    out(tcp(IP.A, IP.B, 40003, 80, FIN | ACK));
    inn(tcp(IP.B, IP.A, 80, 40003, FIN | ACK));
    const closed = await flow(40003);
    assert.deepEqual([closed?.value.state, closed?.value.flags], [CT_STATE.CLOSE, 3]);
    const entries = (await readConntrack(dp.collection)).length;
    const now = native().monotonicNs();
    out(tcp(IP.A, IP.B, 40003, 80, SYN)); // the same ports again: judged, and the entry starts over
    const e = await flow(40003);
    assert.deepEqual(
      [e?.value.state, e?.value.flags, e?.value.origin, e?.value.peerIdentity],
      [CT_STATE.SYN_SENT, 0, 1, 1002],
    );
    const left = e!.value.expiresNs - now;
    assert.ok(
      left <= BigInt(CT_TIMEOUT.SYN) * SEC && left > BigInt(CT_TIMEOUT.SYN - 5) * SEC,
      `lifetime ${left}`,
    );
    assert.equal((await readConntrack(dp.collection)).length, entries);
  });

  it("garbage collection removes expired entries and keeps live ones", async () => {
    out(udp(IP.A, IP.B, 50000, 53));
    out(tcp(IP.A, IP.B, 50001, 443, SYN));
    inn(tcp(IP.B, IP.A, 443, 50001, SYN | ACK));
    const later = native().monotonicNs() + BigInt(CT_TIMEOUT.OTHER + 1) * SEC;
    const r = await gcConntrack(dp.collection, { nowNs: later });
    assert.ok(r.deleted >= 1);
    assert.equal(await flow(50000), undefined);
    assert.equal((await flow(50001))?.value.state, CT_STATE.ESTABLISHED);
    const none = await gcConntrack(dp.collection);
    assert.equal(none.deleted, 0);
  });
});
