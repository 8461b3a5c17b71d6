// The shared datapath suite: every implementation of AgentDatapath (memory.test.ts, bpf.test.ts)
// must pass it, so the in-memory datapath counts as a stand-in for the kernel.

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { MapSizes } from "../../wire/entries.ts";
import { ep, ip, pol } from "../../wire/testing.ts";
import { type AgentDatapath, DatapathError, type DatapathState } from "./datapath.ts";

export interface DatapathHarness {
  /** Opens the datapath under this harness's pin location (reusing what an earlier open left). */
  open(sizes?: Partial<MapSizes>): Promise<AgentDatapath>;
  /** Creates an interface and returns its name. */
  addInterface(): Promise<string>;
  removeInterface(name: string): Promise<void>;
  /** A name no interface has. */
  missingName(): string;
  /** Removes everything the harness created. */
  cleanup(): Promise<void>;
}

/** Read-back in a stable order, for comparisons. */
export function sortedState(s: DatapathState): DatapathState {
  const by =
    <T>(key: (e: T) => string) =>
    (a: T, b: T) =>
      key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
  return {
    ipcache: [...s.ipcache].sort(by((e) => e.prefix)),
    endpoints: [...s.endpoints].sort(by((e) => e.interface)),
    policies: [...s.policies].sort(by((e) => JSON.stringify(e))),
    attached: [...s.attached].sort(),
  };
}

export function datapathCases(name: string, factory: () => DatapathHarness, skip?: string): void {
  describe(`${name} datapath`, { skip }, () => {
    let h: DatapathHarness;
    let dp: AgentDatapath | undefined;
    beforeEach(() => {
      h = factory();
    });
    afterEach(async () => {
      await dp?.close();
      dp = undefined;
      await h.cleanup();
    });

    it("a fresh datapath reads back empty and says it was not reused", async () => {
      dp = await h.open();
      assert.equal(dp.reused, false);
      assert.deepEqual(await dp.read(), { ipcache: [], endpoints: [], policies: [], attached: [] });
    });

    it("applied entries read back as the same wire shapes, with keys in canonical form", async () => {
      dp = await h.open();
      const a = await h.addInterface();
      await dp.apply([
        { op: "upsert_ipcache", entries: [ip("10.1.0.7/32", 300), ip("10.2.0.0/16", 2, 0x0100_0001)] },
        { op: "upsert_ipcache", entries: [ip("fd00::/64", 2)] },
        { op: "upsert_policies", entries: [pol(), pol({ port: 8081, portPrefixLen: 15, ruleIndex: 2 })] },
        { op: "upsert_endpoints", entries: [ep(a)] },
      ]);
      const s = sortedState(await dp.read());
      assert.deepEqual(s.ipcache, [
        ip("10.1.0.7/32", 300),
        ip("10.2.0.0/16", 2, 0x0100_0001),
        ip("fd00::/64", 2),
      ]);
      assert.deepEqual(
        s.policies,
        sortedState({ ...s, policies: [pol(), pol({ port: 8080, portPrefixLen: 15, ruleIndex: 2 })] })
          .policies,
      );
      assert.deepEqual(s.endpoints, [ep(a)]);
    });

    it("an upsert replaces the value under the same key, and removing an absent key is not an error", async () => {
      dp = await h.open();
      const a = await h.addInterface();
      await dp.apply([
        { op: "upsert_ipcache", entries: [ip("10.1.0.7/32", 300)] },
        { op: "upsert_policies", entries: [pol()] },
        { op: "upsert_endpoints", entries: [ep(a)] },
      ]);
      await dp.apply([
        { op: "upsert_ipcache", entries: [ip("10.1.0.7/32", 301)] },
        { op: "upsert_policies", entries: [pol({ policyId: 9, ruleIndex: 3 })] },
        { op: "upsert_endpoints", entries: [ep(a, { egressIsolated: true, egressPolicyId: 9 })] },
      ]);
      let s = await dp.read();
      assert.deepEqual(s.ipcache, [ip("10.1.0.7/32", 301)]);
      assert.deepEqual(s.policies, [pol({ policyId: 9, ruleIndex: 3 })]);
      assert.deepEqual(s.endpoints, [ep(a, { egressIsolated: true, egressPolicyId: 9 })]);
      await dp.apply([
        { op: "remove_ipcache", prefixes: ["10.1.0.7/32", "10.9.0.0/16"] },
        { op: "remove_policies", keys: [pol(), pol({ remoteIdentity: 999 })] },
        { op: "remove_endpoints", interfaces: [a, h.missingName()] },
      ]);
      s = await dp.read();
      assert.deepEqual([s.ipcache, s.policies, s.endpoints], [[], [], []]);
    });

    it("an interface that does not exist yet is reported pending, and works once it appears", async () => {
      dp = await h.open();
      const missing = h.missingName();
      const report = await dp.apply([
        { op: "upsert_endpoints", entries: [ep(missing)] },
        { op: "attach", interfaces: [missing] },
      ]);
      assert.deepEqual(report.pending, [missing]);
      assert.equal(await dp.attach(missing), false);
      assert.deepEqual((await dp.read()).endpoints, []);
      const a = await h.addInterface();
      const later = await dp.apply([
        { op: "upsert_endpoints", entries: [ep(a)] },
        { op: "attach", interfaces: [a] },
      ]);
      assert.deepEqual(later.pending, []);
      const s = await dp.read();
      assert.deepEqual([s.endpoints, s.attached], [[ep(a)], [a]]);
    });

    it("attach and detach read back in attached, and detaching twice is not an error", async () => {
      dp = await h.open();
      const a = await h.addInterface();
      const b = await h.addInterface();
      assert.equal(await dp.attach(a), true);
      assert.equal(await dp.attach(b), true);
      assert.equal(await dp.attach(a), true);
      assert.deepEqual((await dp.read()).attached.sort(), [a, b].sort());
      await dp.apply([{ op: "detach", interfaces: [a] }]);
      await dp.detach(a);
      assert.deepEqual((await dp.read()).attached, [b]);
    });

    it("close() leaves entries and attachments in place for the next open, which says it reused them", async () => {
      dp = await h.open();
      const a = await h.addInterface();
      await dp.apply([
        { op: "upsert_ipcache", entries: [ip("10.1.0.7/32", 300)] },
        { op: "upsert_policies", entries: [pol()] },
        { op: "upsert_endpoints", entries: [ep(a)] },
        { op: "attach", interfaces: [a] },
      ]);
      const before = sortedState(await dp.read());
      await dp.close();
      dp = await h.open();
      assert.equal(dp.reused, true);
      assert.deepEqual(sortedState(await dp.read()), before);
      assert.equal(await dp.attach(a), true, "taking over a pinned attachment works");
      assert.deepEqual((await dp.read()).attached, [a]);
    });

    it("reopening pinned maps keeps their sizes, whatever sizes the new open asks for", async () => {
      dp = await h.open({ ipcache: 8 });
      await dp.apply([{ op: "upsert_ipcache", entries: [ip("10.1.0.7/32", 300)] }]);
      await dp.close();
      dp = await h.open({ ipcache: 16 });
      assert.equal(dp.reused, true);
      assert.equal(dp.sizes.ipcache, 8);
      assert.deepEqual((await dp.read()).ipcache, [ip("10.1.0.7/32", 300)]);
    });

    it("destroy() detaches and removes everything, so the next open starts empty", async () => {
      dp = await h.open();
      const a = await h.addInterface();
      await dp.apply([
        { op: "upsert_ipcache", entries: [ip("10.1.0.7/32", 300)] },
        { op: "upsert_endpoints", entries: [ep(a)] },
        { op: "attach", interfaces: [a] },
      ]);
      await dp.destroy();
      dp = await h.open();
      assert.equal(dp.reused, false);
      assert.deepEqual(await dp.read(), { ipcache: [], endpoints: [], policies: [], attached: [] });
    });

    it("an endpoint whose interface vanished reads back as #ifindex and can be removed by that name", async () => {
      dp = await h.open();
      const a = await h.addInterface();
      await dp.apply([
        { op: "upsert_endpoints", entries: [ep(a)] },
        { op: "attach", interfaces: [a] },
      ]);
      await h.removeInterface(a);
      const s = await dp.read();
      assert.equal(s.endpoints.length, 1);
      const orphan = s.endpoints[0]!.interface;
      assert.match(orphan, /^#\d+$/);
      assert.deepEqual(s.attached, [orphan]);
      await dp.apply([
        { op: "detach", interfaces: [orphan] },
        { op: "remove_endpoints", interfaces: [orphan] },
      ]);
      const after = await dp.read();
      assert.deepEqual([after.endpoints, after.attached], [[], []]);
    });

    it("a full map fails the batch with datapath.map_full and keeps the entries already written", async () => {
      dp = await h.open({ ipcache: 4 });
      const entries = [1, 2, 3, 4, 5].map((i) => ip(`10.0.${i}.0/24`, 300 + i));
      await assert.rejects(dp.apply([{ op: "upsert_ipcache", entries }]), (e) => {
        assert.ok(e instanceof DatapathError);
        assert.equal(e.code, "datapath.map_full");
        return true;
      });
      const n = (await dp.read()).ipcache.length;
      assert.ok(n <= 4, `at most the capacity is written, got ${n}`);
    });
  });
}
