// Tests of the map-delta algebra: table cases, and the properties every side of the wire relies on
// (diff then apply gives the target; merging consecutive deltas equals applying them in turn).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { NodeDelta, NodeState, PolicyEntry } from "./entries.ts";
import {
  applyNodeDelta,
  diffMaps,
  diffNodeStates,
  ENTRY_MAPS,
  emptyNodeDelta,
  emptyNodeState,
  isEmptyDelta,
  keyEntries,
  mergeNodeDeltas,
} from "./map-delta.ts";
import {
  type EntryDomain,
  endpointEntryArb,
  ip,
  ipcacheEntryArb,
  pol,
  policyEntryArb,
  SMALL_DOMAIN,
} from "./testing.ts";

// A port prefix whose port has bits past the prefix: 8081/15 is 8080/15.
const wide = (over: Partial<PolicyEntry> = {}) => pol({ port: 8080, portPrefixLen: 15, ...over });
const delta = (over: Partial<NodeDelta>): NodeDelta => ({ ...emptyNodeDelta(), ...over });

/** A state as its maps of canonical entries by key: what the datapath would hold. */
function held(s: NodeState) {
  return {
    ipcache: keyEntries(s.ipcache, ENTRY_MAPS.ipcache),
    endpoints: keyEntries(s.endpoints, ENTRY_MAPS.endpoints),
    policies: keyEntries(s.policies, ENTRY_MAPS.policies),
  };
}

describe("map deltas", () => {
  it("a delta removes keys, then upserts, so a key in both ends up with the upserted value", () => {
    const base = { ...emptyNodeState(), ipcache: [ip("10.0.0.1/32", 300)] };
    const next = applyNodeDelta(
      base,
      delta({ ipcache: { remove: [ip("10.0.0.1/32", 300)], upsert: [ip("10.0.0.1/32", 301)] } }),
    );
    assert.deepEqual(next.ipcache, [ip("10.0.0.1/32", 301)]);
    assert.deepEqual(base.ipcache[0]!.identity, 300, "the input is not modified");
  });

  it("a removal names its key in any textual form of the same prefix or port prefix", () => {
    const base = { ...emptyNodeState(), ipcache: [ip("10.1.0.0/16", 2)], policies: [wide()] };
    const next = applyNodeDelta(
      base,
      delta({
        ipcache: { upsert: [], remove: [ip("10.1.2.3/16", 2)] },
        policies: { upsert: [], remove: [wide({ port: 8081 })] },
      }),
    );
    assert.deepEqual([next.ipcache, next.policies], [[], []]);
  });

  it("a diff upserts new and changed entries, removes gone keys, and leaves equal ones out", () => {
    const before = new Map([
      ["a", ip("10.0.0.1/32", 1)],
      ["b", ip("10.0.0.2/32", 2)],
      ["c", ip("10.0.0.3/32", 3)],
    ]);
    const after = new Map([
      ["a", ip("10.0.0.1/32", 1)],
      ["b", ip("10.0.0.2/32", 20)],
      ["d", ip("10.0.0.4/32", 4)],
    ]);
    assert.deepEqual(diffMaps(before, after), {
      upsert: [ip("10.0.0.2/32", 20), ip("10.0.0.4/32", 4)],
      remove: [ip("10.0.0.3/32", 3)],
    });
    assert.equal(isEmptyDelta(diffMaps(after, after)), true);
  });

  it("two spellings of one key are one entry: diffing them gives nothing to do", () => {
    const a = { ...emptyNodeState(), ipcache: [ip("fd00::/64", 2)], policies: [wide({ port: 8080 })] };
    const b = { ...emptyNodeState(), ipcache: [ip("FD00:0::1/64", 2)], policies: [wide({ port: 8081 })] };
    const d = diffNodeStates(a, b);
    assert.deepEqual([d.ipcache, d.policies].map(isEmptyDelta), [true, true]);
  });

  it("a policy entry whose attribution changed is upserted", () => {
    const d = diffNodeStates(
      { ...emptyNodeState(), policies: [wide({ policyId: 1 })] },
      { ...emptyNodeState(), policies: [wide({ policyId: 2 })] },
    );
    assert.deepEqual(d.policies, { upsert: [wide({ policyId: 2 })], remove: [] });
  });

  it("merges consecutive deltas so the last operation on a key wins", () => {
    const a = delta({ ipcache: { upsert: [ip("10.0.0.1/32", 300)], remove: [] } });
    const b = delta({ ipcache: { upsert: [ip("10.0.0.2/32", 301)], remove: [ip("10.0.0.1/32", 300)] } });
    const c = delta({ ipcache: { upsert: [ip("10.0.0.2/32", 302)], remove: [] } });
    const merged = mergeNodeDeltas([a, b, c]);
    assert.deepEqual(
      merged.ipcache.remove.map((e) => e.prefix),
      ["10.0.0.1/32"],
    );
    assert.deepEqual(merged.ipcache.upsert, [ip("10.0.0.2/32", 302)]);
  });

  it("merging nothing gives the empty delta", () => {
    assert.deepEqual(mergeNodeDeltas([]), emptyNodeDelta());
  });
});

// Prefixes in several spellings of the same keys (port prefixes get theirs from 8080/13), so
// canonical keying is exercised.
const DOMAIN: EntryDomain = {
  ...SMALL_DOMAIN,
  prefixes: [
    "10.1.0.0/16",
    "10.1.2.3/16",
    "10.1.2.3/32",
    "0.0.0.0/0",
    "fd00::/64",
    "FD00:0::1/64",
    "::1/128",
  ],
};
const stateArb: fc.Arbitrary<NodeState> = fc.record({
  ipcache: fc.array(ipcacheEntryArb(DOMAIN), { maxLength: 8 }),
  endpoints: fc.array(endpointEntryArb(fc.constantFrom("a", "b", "c"), DOMAIN), { maxLength: 4 }),
  policies: fc.array(policyEntryArb(DOMAIN), { maxLength: 10 }),
});
const mapDeltaArb = <T>(entry: fc.Arbitrary<T>) =>
  fc.record({ upsert: fc.array(entry, { maxLength: 5 }), remove: fc.array(entry, { maxLength: 5 }) });
const deltaArb: fc.Arbitrary<NodeDelta> = fc.record({
  ipcache: mapDeltaArb(ipcacheEntryArb(DOMAIN)),
  endpoints: mapDeltaArb(endpointEntryArb(fc.constantFrom("a", "b", "c"), DOMAIN)),
  policies: mapDeltaArb(policyEntryArb(DOMAIN)),
});

describe("map delta properties", () => {
  it("diff then apply gives the target state", () => {
    fc.assert(
      fc.property(stateArb, stateArb, (before, after) => {
        assert.deepEqual(held(applyNodeDelta(before, diffNodeStates(before, after))), held(after));
      }),
    );
  });

  it("the diff of a state with itself is empty", () => {
    fc.assert(
      fc.property(stateArb, (s) => {
        const d = diffNodeStates(s, s);
        assert.deepEqual([d.ipcache, d.endpoints, d.policies].map(isEmptyDelta), [true, true, true]);
      }),
    );
  });

  it("applying merged deltas equals applying them one after another", () => {
    fc.assert(
      fc.property(stateArb, fc.array(deltaArb, { maxLength: 4 }), (start, deltas) => {
        const stepwise = deltas.reduce(applyNodeDelta, start);
        assert.deepEqual(held(applyNodeDelta(start, mergeNodeDeltas(deltas))), held(stepwise));
      }),
    );
  });
});
