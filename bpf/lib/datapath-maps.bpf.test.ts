// Applying the control plane's entries and reading them back (level-triggered reconciliation).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ip, ipQuiet } from "../../lib/netns/ip.ts";
import { runPrefix } from "../../lib/netns/names.ts";
import { type PolicyEntry, PROTO, portRangeToPrefixes } from "../../wire/entries.ts";
import { EP_INDEX_MAX } from "./codecs/endpoints.ts";
import { REASONS } from "./codecs/reasons.ts";
import { readVerdictTrace, skbContext } from "./codecs/skb.ts";
import { BpfDatapath, MAPS } from "./datapath.ts";
import {
  applyEndpoints,
  applyIpcache,
  applyPolicies,
  readEndpoints,
  readIpcache,
  readPolicies,
} from "./datapath-maps.ts";
import { isBpfError } from "./errors.ts";
import { kernelTestSkipReason } from "./features.ts";
import { native } from "./native.ts";
import { freeIfindexBelow, tempVeth } from "./testing/kernel.ts";
import { allow, EP, IP, tcp } from "./verdict-fixtures.ts";

const byKey = <T>(xs: T[], key: (x: T) => string) => [...xs].sort((a, b) => key(a).localeCompare(key(b)));

describe("applying entries", { skip: kernelTestSkipReason() }, () => {
  let dp: BpfDatapath;
  before(async () => {
    dp = await BpfDatapath.load({ sizes: { ipcache: 16, policies: 64, endpoints: 4, conntrack: 64 } });
  });
  after(() => dp?.close());

  it("ipcache, endpoint and policy entries read back exactly as applied, in canonical form", async () => {
    const c = dp.collection;
    const ipcache = [
      { prefix: "10.0.0.0/8", identity: 2, prefixIdentity: 0x100_0001 },
      { prefix: "10.1.2.3/32", identity: 300, prefixIdentity: 0x100_0001 },
      { prefix: "fd00::/64", identity: 2, prefixIdentity: 0x100_0002 },
    ];
    const policies: PolicyEntry[] = [
      allow(5, "ingress", 300, PROTO.TCP, 80, 16, 1, 0),
      allow(5, "egress", 0, PROTO.ANY, 0, 0, 2, 1),
      ...portRangeToPrefixes(1000, 1999).map((p) =>
        allow(5, "ingress", 301, PROTO.UDP, p.port, p.prefixLen, 3, 2),
      ),
    ];
    const r = await applyIpcache(c, { upsert: ipcache });
    assert.equal(r.upserted, 3);
    await applyPolicies(c, { upsert: policies });
    await applyEndpoints(c, { upsert: [{ ifindex: 7, entry: EP.A({ ingress: true }) }] });
    assert.deepEqual(
      byKey(await readIpcache(c), (e) => e.prefix),
      byKey(ipcache, (e) => e.prefix),
    );
    const key = (e: PolicyEntry) =>
      `${e.direction}/${e.remoteIdentity}/${e.protocol}/${e.port}/${e.portPrefixLen}`;
    assert.deepEqual(byKey(await readPolicies(c), key), byKey(policies, key));
    assert.deepEqual(await readEndpoints(c), [{ ifindex: 7, entry: EP.A({ ingress: true }) }]);
    const removed = await applyPolicies(c, { remove: [policies[0]!, allow(9, "ingress", 1, PROTO.TCP, 1)] });
    assert.deepEqual([removed.removed, removed.missing], [1, 1]);
    await applyIpcache(c, { remove: ["10.0.0.0/8", "10.1.2.3/32", "fd00::/64"] });
    await applyEndpoints(c, { remove: [7] });
    assert.deepEqual([(await readIpcache(c)).length, (await readEndpoints(c)).length], [0, 0]);
  });

  it("endpoints below EP_INDEX_MAX live in the array and the others in the hash; the programs find both", async () => {
    const c = dp.collection;
    const high = EP_INDEX_MAX + 1000 + (process.pid % 20000);
    const name = `${runPrefix("k")}x`;
    ip(["link", "add", name, "index", String(high), "type", "veth", "peer", "name", `${name}p`]);
    const low = tempVeth({ index: freeIfindexBelow(EP_INDEX_MAX) }); // a host's next index may be past it
    try {
      assert.equal(native().ifIndex(name), high);
      await applyEndpoints(c, {
        upsert: [
          { ifindex: low.ifindex, entry: EP.A() },
          { ifindex: high, entry: EP.B() },
        ],
      });
      assert.equal([...c.map(MAPS.endpoints).keys()].length, 1, "only the high index in the hash");
      assert.deepEqual(
        byKey(await readEndpoints(c), (b) => String(b.ifindex)),
        byKey(
          [
            { ifindex: low.ifindex, entry: EP.A() },
            { ifindex: high, entry: EP.B() },
          ],
          (b) => String(b.ifindex),
        ),
      );
      const frame = tcp(IP.A, IP.B, 1000, 80);
      const reason = (ifindex: number) =>
        readVerdictTrace(c.program("from_pod").run(frame, { ctx: skbContext(ifindex) }).ctx!).reason;
      assert.deepEqual(
        [reason(low.ifindex), reason(high)],
        [REASONS.PASS_NOT_ISOLATED, REASONS.PASS_NOT_ISOLATED],
      );
      await applyEndpoints(c, { remove: [low.ifindex, high] });
      assert.deepEqual(await readEndpoints(c), []);
      assert.deepEqual(
        [reason(low.ifindex), reason(high)],
        [REASONS.DROP_UNKNOWN_ENDPOINT, REASONS.DROP_UNKNOWN_ENDPOINT],
      );
    } finally {
      low.remove();
      ipQuiet(["link", "del", name]);
    }
  });

  it("a delta that overflows a map fails with ERR_BPF_MAP_FULL and says how much was applied", async () => {
    const entries = Array.from({ length: 20 }, (_, i) => ({
      prefix: `10.9.0.${i}/32`,
      identity: 400 + i,
      prefixIdentity: 0,
    }));
    await assert.rejects(applyIpcache(dp.collection, { upsert: entries }), (e) => {
      assert.ok(isBpfError(e, "ERR_BPF_MAP_FULL"));
      assert.equal((e as unknown as { done: number }).done, 16);
      return true;
    });
    await applyIpcache(dp.collection, { remove: entries.map((e) => e.prefix) });
  });
});
