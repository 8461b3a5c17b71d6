// The verdict harness over the in-memory model (bpf/lib/model), with a fake clock.
import type { IpcacheEntry, PolicyEntry } from "../../../wire/entries.ts";
import { counterIndex } from "../codecs/counters.ts";
import type { EndpointValue } from "../codecs/endpoints.ts";
import { type Hook, MemoryDatapath } from "../model/memory-datapath.ts";
import { conntrackValueText, type Slot, type VerdictHarness } from "./harness.ts";

const IFINDEX: Record<Slot, number> = { A: 101, B: 102, C: 103 };

export async function modelHarness(): Promise<VerdictHarness> {
  let dp = new MemoryDatapath();
  let clock = 1_000_000_000n;
  let seen = 0;
  return {
    name: "model",
    ifindex: (slot) => IFINDEX[slot],
    async setEndpoint(slot: Slot, value: EndpointValue) {
      dp.setEndpoint(IFINDEX[slot], value);
    },
    async deleteEndpoint(slot) {
      dp.deleteEndpoint(IFINDEX[slot]);
    },
    async setIpcache(entries: IpcacheEntry[]) {
      for (const e of entries) dp.setIpcache(e);
    },
    async deleteIpcache(prefixes) {
      for (const p of prefixes) dp.deleteIpcache(p);
    },
    async setPolicies(entries: PolicyEntry[]) {
      for (const e of entries) dp.setPolicy(e);
    },
    async deletePolicies(entries) {
      for (const e of entries) dp.deletePolicy(e);
    },
    async run(hook: Hook, slot, frame) {
      clock += 1000n;
      return dp.run(hook, IFINDEX[slot], frame, clock);
    },
    async counter(direction, reason) {
      return dp.counters.get(counterIndex(direction, reason)) ?? { packets: 0, bytes: 0 };
    },
    async takeEvents() {
      const out = dp.events.slice(seen);
      seen = dp.events.length;
      return out;
    },
    async conntrack() {
      return [...dp.conntrack.entries()].map(([k, v]) => `${k} ${conntrackValueText(v)}`).sort();
    },
    async reset() {
      dp = new MemoryDatapath();
      seen = 0;
    },
    async close() {},
  };
}
