// Differential test: random map states and packet sequences through the real programs and the
// in-memory model must give identical verdicts, reasons and attributions.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import {
  type EntryDomain,
  endpointValueArb,
  ipcacheEntryArb,
  policyEntryArb,
} from "../../../wire/testing.ts";
import type { EndpointValue } from "../codecs/endpoints.ts";
import { isBpfError } from "../errors.ts";
import { kernelTestSkipReason } from "../features.ts";
import { bpfHarness } from "../testing/bpf-harness.ts";
import type { Slot, VerdictHarness } from "../testing/harness.ts";
import { modelHarness } from "../testing/model-harness.ts";
import { buildPacket, type PacketSpec, reverse } from "../testing/packet.ts";
import type { Hook } from "./memory-datapath.ts";

const V4 = ["10.1.2.3", "10.1.2.4", "10.1.9.9", "10.2.0.1", "192.0.2.7", "10.9.0.1"];
const V6 = ["fd00::1", "fd00::2", "fd00:1::5", "2001:db8::9"];
const PREFIXES = [
  "10.0.0.0/8",
  "10.1.0.0/16",
  "10.1.2.0/24",
  "10.1.2.3/32",
  "10.1.2.4/32",
  "10.2.0.1/32",
  "0.0.0.0/0",
  "fd00::/16",
  "fd00::1/128",
  "fd00:1::/32",
  "::/0",
];
const IDENTITIES = [0, 1, 2, 1001, 1002, 0x100_0001, 0x100_0002];
const PROTOCOLS = [0, 1, 6, 17, 58, 132];
const PORTS = [0, 53, 80, 443, 1000, 1023, 8080, 65535];

const DOMAIN: EntryDomain = {
  prefixes: PREFIXES,
  identities: IDENTITIES.filter((i) => i !== 0),
  prefixIdentities: [0, 0x100_0001, 0x100_0002],
  policySetIds: [21, 22],
  protocols: PROTOCOLS,
  ports: fc.oneof(fc.constantFrom(...PORTS), fc.integer({ min: 0, max: 65535 })),
  portPrefixLens: fc.integer({ min: 0, max: 16 }),
  policyIds: 50,
  ruleIndexes: 5,
  endpointIdentities: [1001, 1002],
  isolatingPolicyIds: 9,
};
const endpointArb: fc.Arbitrary<EndpointValue | null> = fc.option(endpointValueArb(DOMAIN), { freq: 5 });
const ipcacheArb = ipcacheEntryArb(DOMAIN);
const policyArb = policyEntryArb(DOMAIN);

const packetArb = fc
  .record({
    hook: fc.constantFrom<Hook>("from_pod", "to_pod"),
    slot: fc.constantFrom<Slot>("A", "B", "C"),
    v6: fc.boolean(),
    src: fc.nat(),
    dst: fc.nat(),
    protocol: fc.constantFrom(1, 6, 17, 58, 132, 47),
    srcPort: fc.constantFrom(...PORTS, 40000, 40001),
    dstPort: fc.constantFrom(...PORTS, 40000, 40001),
    tcpFlags: fc.constantFrom(0x02, 0x12, 0x10, 0x11, 0x04, 0x18),
    icmpType: fc.constantFrom(0, 8, 128, 129, 135, 3),
    icmpId: fc.constantFrom(1, 2),
    truncate: fc.option(fc.integer({ min: 0, max: 30 }), { freq: 6 }),
    reply: fc.boolean(),
    /** 0: an ICMP error quoting the packet before instead (related traffic). */
    relate: fc.integer({ min: 0, max: 4 }),
  })
  .map((p) => {
    const pool = p.v6 ? V6 : V4;
    const protocol = p.v6 && p.protocol === 1 ? 58 : !p.v6 && p.protocol === 58 ? 1 : p.protocol;
    const spec: PacketSpec = {
      src: pool[p.src % pool.length]!,
      dst: pool[p.dst % pool.length]!,
      protocol,
      srcPort: p.srcPort,
      dstPort: p.dstPort,
      tcpFlags: p.tcpFlags,
      icmpType: p.icmpType,
      icmpId: p.icmpId,
    };
    const full = buildPacket(spec);
    const l4 = 14 + (p.v6 ? 40 : 20);
    // Truncate only inside the transport header: test runs refuse frames with short IP headers.
    const frame = p.truncate === null ? full : full.subarray(0, Math.min(full.length, l4 + p.truncate));
    return {
      hook: p.hook,
      slot: p.slot,
      frame: Buffer.from(frame),
      spec,
      reply: p.reply && p.truncate === null,
      relate: p.relate === 0 && p.truncate === null,
    };
  });

type GeneratedPacket = typeof packetArb extends fc.Arbitrary<infer T> ? T : never;

/** Turns some packets into replies of the packet before them (same slot, other hook), to reach conntrack. */
function withReplies(packets: GeneratedPacket[]): { hook: Hook; slot: Slot; frame: Buffer }[] {
  return packets.map((p, i) => {
    const prev = packets[i - 1];
    if (p.relate && prev) {
      const v6 = prev.spec.src.includes(":");
      const error = buildPacket({
        src: v6 ? "fd00:1::5" : "10.9.0.1",
        dst: prev.spec.src,
        protocol: v6 ? 58 : 1,
        icmpType: v6 ? [1, 2, 3][i % 3]! : [3, 11][i % 2]!,
        quote: prev.spec,
      });
      return { hook: prev.hook === "from_pod" ? "to_pod" : "from_pod", slot: prev.slot, frame: error };
    }
    if (!p.reply || !prev) return p;
    const spec = { ...reverse(prev.spec), tcpFlags: 0x12, icmpType: prev.spec.icmpType === 8 ? 0 : 129 };
    return {
      hook: prev.hook === "from_pod" ? "to_pod" : "from_pod",
      slot: prev.slot,
      frame: buildPacket(spec),
    };
  });
}

const stateArb = fc.record({
  endpoints: fc.tuple(endpointArb, endpointArb, endpointArb),
  ipcache: fc.array(ipcacheArb, { maxLength: 8 }),
  policies: fc.array(policyArb, { maxLength: 12 }),
  packets: fc.array(packetArb, { minLength: 1, maxLength: 25 }),
  // Map writes between packets: each bumps the policy generation, so tracked flows are judged again.
  changes: fc.array(
    fc.record({
      at: fc.nat({ max: 24 }),
      add: fc.option(policyArb),
      remove: fc.option(fc.nat()),
      ipcache: fc.option(ipcacheArb, { freq: 3 }),
    }),
    { maxLength: 4 },
  ),
});

type StateSample = typeof stateArb extends fc.Arbitrary<infer T> ? T : never;

async function load(h: VerdictHarness, s: StateSample): Promise<void> {
  await h.reset();
  const slots: Slot[] = ["A", "B", "C"];
  for (const [i, ep] of s.endpoints.entries()) if (ep) await h.setEndpoint(slots[i]!, ep);
  await h.setIpcache(s.ipcache);
  await h.setPolicies(s.policies);
}

describe("the model and the programs agree", { skip: kernelTestSkipReason() }, () => {
  let real: VerdictHarness;
  let model: VerdictHarness;
  before(async () => {
    real = await bpfHarness();
    model = await modelHarness();
  });
  after(async () => {
    await real?.close();
  });

  it("random endpoints, ipcache, policies, packet sequences and map changes between packets get identical verdicts, traces and conntrack states", async () => {
    let compared = 0;
    let refused = 0;
    const reasons = new Set<number>();
    await fc.assert(
      fc.asyncProperty(stateArb, async (s) => {
        await load(real, s);
        await load(model, s);
        for (const [i, p] of withReplies(s.packets).entries()) {
          for (const c of s.changes.filter((c) => c.at === i)) {
            const gone = c.remove === null ? undefined : s.policies[c.remove % (s.policies.length || 1)];
            for (const h of [real, model]) {
              if (c.add) await h.setPolicies([c.add]);
              if (gone) await h.deletePolicies([gone]);
              if (c.ipcache) await h.setIpcache([c.ipcache]);
            }
          }
          let r: Awaited<ReturnType<VerdictHarness["run"]>>;
          try {
            r = await real.run(p.hook, p.slot, p.frame);
          } catch (e) {
            if (isBpfError(e, "ERR_BPF_INVALID")) {
              refused++;
              continue;
            }
            throw e;
          }
          const m = await model.run(p.hook, p.slot, p.frame);
          assert.deepEqual(r, m, `${p.hook} on ${p.slot}: ${p.frame.toString("hex")}`);
          reasons.add(r.trace.reason);
          compared++;
        }
        assert.deepEqual(
          await real.conntrack(),
          await model.conntrack(),
          "conntrack entries (states, flags, attribution)",
        );
      }),
      { numRuns: 200 },
    );
    // The generator must reach the interesting paths, and the kernel must accept nearly every frame.
    assert.ok(refused < compared / 20, `test runs refused ${refused} of ${compared + refused} frames`);
    for (const reason of [1, 2, 3, 4, 7, -1, -2, -7])
      assert.ok(reasons.has(reason), `no packet got reason ${reason}`);
  });
});
