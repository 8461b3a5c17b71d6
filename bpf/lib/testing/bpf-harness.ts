// The verdict harness over the real programs: BPF_PROG_TEST_RUN with a __sk_buff context whose
// ifindex names an interface created for the run: one end of a veth pair per slot, left down and
// without addresses, so it carries no traffic (the kernel may lack the dummy driver).
import { spawnSync } from "node:child_process";
import type { IpcacheEntry, PolicyEntry } from "../../../wire/entries.ts";
import type { EndpointValue } from "../codecs/endpoints.ts";
import type { DropEvent } from "../codecs/events.ts";
import { readVerdictTrace, skbContext } from "../codecs/skb.ts";
import { readConntrack } from "../conntrack-gc.ts";
import { BpfDatapath, MAPS } from "../datapath.ts";
import { applyEndpoints, applyIpcache, applyPolicies, readEndpoints } from "../datapath-maps.ts";
import { native } from "../native.ts";
import { readCounter, subscribeDropEvents } from "../stats.ts";
import { conntrackKeyText, conntrackValueText, SLOTS, type Slot, type VerdictHarness } from "./harness.ts";

function ip(args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")} failed: ${r.stderr.trim()}`);
}

/** Creates one veth pair per slot, named with a per-run prefix; removed on close. */
function createDummies(prefix: string): Record<Slot, number> {
  const out = {} as Record<Slot, number>;
  for (const slot of SLOTS) {
    const name = `${prefix}${slot.toLowerCase()}`;
    ip(["link", "add", name, "type", "veth", "peer", "name", `${name}p`]);
    out[slot] = native().ifIndex(name);
  }
  return out;
}

export async function bpfHarness(): Promise<VerdictHarness> {
  const prefix = `pt${process.pid % 100000}${Math.floor(Math.random() * 36 ** 2).toString(36)}`;
  const dp = await BpfDatapath.load({
    sizes: { ipcache: 1024, policies: 4096, endpoints: 64, conntrack: 4096 },
    events: { eventRate: 1_000_000, eventBurst: 1_000_000 },
  });
  const c = dp.collection;
  let ifindex: Record<Slot, number>;
  try {
    ifindex = createDummies(prefix);
  } catch (e) {
    for (const slot of SLOTS) spawnSync("ip", ["link", "del", `${prefix}${slot.toLowerCase()}`]);
    dp.close();
    throw e;
  }
  let pending: DropEvent[] = [];
  const reader = subscribeDropEvents(c, (events) => pending.push(...events));
  const clear = async (name: string) => {
    const map = c.map(name);
    await map.deleteBatch([...map.keys()]);
  };
  return {
    name: "bpf",
    ifindex: (slot) => ifindex[slot],
    async setEndpoint(slot: Slot, entry: EndpointValue) {
      await applyEndpoints(c, { upsert: [{ ifindex: ifindex[slot], entry }] });
    },
    async deleteEndpoint(slot) {
      await applyEndpoints(c, { remove: [ifindex[slot]] });
    },
    async setIpcache(entries: IpcacheEntry[]) {
      await applyIpcache(c, { upsert: entries });
    },
    async deleteIpcache(prefixes) {
      await applyIpcache(c, { remove: prefixes });
    },
    async setPolicies(entries: PolicyEntry[]) {
      await applyPolicies(c, { upsert: entries });
    },
    async deletePolicies(entries) {
      await applyPolicies(c, { remove: entries });
    },
    async run(hook, slot, frame) {
      const r = c.program(hook).run(frame, { ctx: skbContext(ifindex[slot]) });
      const trace = readVerdictTrace(r.ctx!);
      if (r.retval !== (trace.reason > 0 ? 0 : 2)) {
        throw new Error(
          `retval ${r.retval} disagrees with reason ${trace.reason} (TC_ACT_OK=0, TC_ACT_SHOT=2)`,
        );
      }
      return { pass: r.retval === 0, trace };
    },
    async counter(direction, reason) {
      const v = readCounter(c, direction, reason);
      return { packets: Number(v.packets), bytes: Number(v.bytes) };
    },
    async takeEvents() {
      reader.consume();
      const out = pending;
      pending = [];
      return out;
    },
    async conntrack() {
      return (await readConntrack(c))
        .map((e) => `${conntrackKeyText(e.key)} ${conntrackValueText(e.value)}`)
        .sort();
    },
    async reset() {
      await applyEndpoints(c, { remove: (await readEndpoints(c)).map((b) => b.ifindex) });
      for (const name of [MAPS.endpoints, MAPS.ipcache, MAPS.policy, MAPS.conntrack, MAPS.fragments])
        await clear(name);
      for (const name of [MAPS.counters, MAPS.eventBucket]) {
        const map = c.map(name);
        const zero = Buffer.alloc(map.valueStride);
        for (let i = 0; i < map.maxEntries; i++) map.update(Buffer.from(new Uint32Array([i]).buffer), zero);
      }
      reader.consume();
      pending = [];
    },
    async close() {
      reader.close();
      dp.close();
      for (const slot of SLOTS) spawnSync("ip", ["link", "del", `${prefix}${slot.toLowerCase()}`]);
    },
  };
}
