// Tests of the reconcile loop on the memory datapath: rollback, drift repair, pending interfaces, adoption.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManualClock, settle } from "../../lib/testing/manual-clock.ts";
import type { EndpointEntry, NodeState } from "../../wire/entries.ts";
import { ep } from "../../wire/testing.ts";
import { sortedState } from "../datapath/datapath.case.ts";
import { DatapathError } from "../datapath/datapath.ts";
import { VirtualInterfaces } from "../datapath/interfaces.ts";
import { MemoryAgentDatapath } from "../datapath/memory.ts";
import { Reconciler } from "./loop.ts";

const state = (n: number, endpoints: EndpointEntry[] = []): NodeState => ({
  ipcache: Array.from({ length: n }, (_, i) => ({
    prefix: `10.0.${i}.0/24`,
    identity: 300 + i,
    prefixIdentity: 0,
  })),
  endpoints,
  policies: [],
});
const quiet = () => {};

async function settleTimes(n: number) {
  for (let i = 0; i < n; i++) await settle();
}

describe("reconcile loop", () => {
  it("a failed apply throws and leaves the last good state in the datapath", async () => {
    const dp = new MemoryAgentDatapath({ sizes: { ipcache: 3 } });
    const r = new Reconciler({ datapath: dp, log: quiet });
    await r.setDesired(state(2, [ep("a")]));
    await assert.rejects(
      r.setDesired(state(5)),
      (e) => e instanceof DatapathError && e.code === "datapath.map_full",
    );
    const s = await dp.read();
    assert.deepEqual(sortedState(s), sortedState({ ...state(2, [ep("a")]), attached: ["a"] }));
    assert.deepEqual(r.desired, state(2, [ep("a")]));
    assert.match(r.lastError ?? "", /full/);
  });

  it("a first apply that fails leaves the datapath as it was before it", async () => {
    const dp = new MemoryAgentDatapath({ sizes: { ipcache: 3 } });
    await dp.apply([
      { op: "upsert_ipcache", entries: [{ prefix: "192.168.0.0/16", identity: 9, prefixIdentity: 0 }] },
    ]);
    const r = new Reconciler({ datapath: dp, log: quiet });
    await assert.rejects(r.setDesired(state(5)), { code: "datapath.map_full" });
    assert.deepEqual((await dp.read()).ipcache, [
      { prefix: "192.168.0.0/16", identity: 9, prefixIdentity: 0 },
    ]);
  });

  it("the periodic resync repairs entries changed behind the agent's back", async () => {
    const clock = new ManualClock();
    const dp = new MemoryAgentDatapath();
    const r = new Reconciler({ datapath: dp, log: quiet, clock, resyncMs: 1000 });
    await r.setDesired(state(3, [ep("a")]));
    await dp.apply([
      { op: "remove_ipcache", prefixes: ["10.0.1.0/24"] },
      { op: "detach", interfaces: ["a"] },
    ]);
    await dp.apply([
      { op: "upsert_ipcache", entries: [{ prefix: "192.168.0.0/16", identity: 9, prefixIdentity: 0 }] },
    ]);
    r.start();
    clock.advance(1000);
    await settleTimes(5);
    assert.deepEqual(sortedState(await dp.read()), sortedState({ ...state(3, [ep("a")]), attached: ["a"] }));
    await r.stop();
  });

  it("an endpoint whose interface does not exist yet is retried until the interface appears", async () => {
    const clock = new ManualClock();
    const interfaces = new VirtualInterfaces({ autoCreate: false });
    const dp = new MemoryAgentDatapath({ interfaces });
    let changes = 0;
    const r = new Reconciler({
      datapath: dp,
      log: quiet,
      clock,
      pendingRetryMs: 500,
      onChange: () => changes++,
    });
    await r.setDesired(state(1, [ep("late")]));
    assert.deepEqual(r.pending, ["late"]);
    assert.deepEqual(r.pendingEndpoints(), [ep("late")]);
    clock.advance(500);
    await settleTimes(3);
    assert.deepEqual(r.pending, ["late"], "still missing");
    interfaces.add("late");
    clock.advance(500);
    await settleTimes(3);
    assert.deepEqual(r.pending, []);
    assert.deepEqual((await dp.read()).attached, ["late"]);
    assert.ok(changes >= 2, "pending and attached changes are reported");
    assert.equal(clock.pendingTimers, 0, "no retry is scheduled once nothing is pending");
  });

  it("adopting a datapath keeps its entries and attachments without writing anything", async () => {
    const dp = new MemoryAgentDatapath({ pinKey: "loop-adopt" });
    await new Reconciler({ datapath: dp, log: quiet }).setDesired(state(2, [ep("a")]));
    await dp.close();
    const again = new MemoryAgentDatapath({ pinKey: "loop-adopt" });
    const applied: unknown[] = [];
    const original = again.apply.bind(again);
    again.apply = async (ops) => {
      applied.push(...ops);
      return original(ops);
    };
    const r = new Reconciler({ datapath: again, log: quiet });
    await r.adopt([ep("b")]);
    assert.deepEqual(
      applied.map((s) => (s as { op: string }).op),
      ["upsert_endpoints", "attach"],
      "only the endpoint kept from the earlier process is added",
    );
    assert.deepEqual(r.desired?.ipcache.length, 2);
    assert.deepEqual(r.desired?.endpoints.map((e) => e.interface).sort(), ["a", "b"]);
    await again.destroy();
  });
});
