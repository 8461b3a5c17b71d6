// The text scan before JSON.parse: member counts per object, paths of wide objects, and the cut.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cutObjectsIn, memberCount } from "../policy/validation/cut-objects.ts";
import { parseCut, scanJsonText } from "./json-scan.ts";

const members = (n: number, value: (i: number) => unknown = () => "v") =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value(i)]));

describe("scanJsonText", () => {
  it("finds objects over the limit, not those at it, with their paths and sizes", () => {
    const text = JSON.stringify({ a: members(3), b: [1, { c: members(4) }], 'we.ird"key': members(5) });
    const { wide, depth } = scanJsonText(text, { maxMembers: 3 });
    assert.equal(depth, 4);
    assert.deepEqual(
      wide.map((w) => [w.path, w.members]),
      [
        [["b", 1, "c"], 4],
        [['we.ird"key'], 5],
      ],
    );
  });

  it("does not count colons, commas or braces inside strings, escaped quotes included", () => {
    const tricky = members(3, (i) => `a:b,c}{"]\\${i}`);
    const text = JSON.stringify({ x: tricky, '"k:,{': members(2) });
    assert.deepEqual(scanJsonText(text, { maxMembers: 3 }).wide, []);
    assert.equal(scanJsonText(text, { maxMembers: 2 }).wide[0]!.members, 3);
  });

  it("stops at the depth bound instead of keeping a frame per bracket", () => {
    const deep = "[".repeat(1000) + "]".repeat(1000);
    assert.equal(scanJsonText(deep, { maxDepth: 100 }).depth, 101);
    assert.equal(scanJsonText(deep).depth, 1000);
  });
});

describe("parseCut", () => {
  it("parses a wide object cut to its first members, marked with its true size", () => {
    const text = JSON.stringify({ meta: { labels: members(10) }, list: [members(2), members(7)] });
    const { wide } = scanJsonText(text, { maxMembers: 4 });
    const value = parseCut(text, wide) as { meta: { labels: object }; list: object[] };
    assert.deepEqual(Object.keys(value.meta.labels), ["k0", "k1", "k2", "k3", "k4"]);
    assert.equal(memberCount(value.meta.labels), 10);
    assert.equal(Object.keys(value.list[1]!).length, 5);
    assert.equal(memberCount(value.list[1]!), 7);
    assert.equal(memberCount(value.list[0]!), 2);
    // Every container on the way knows, with the path from itself.
    assert.deepEqual(
      cutObjectsIn(value).map((c) => [c.path, c.members]),
      [
        [["meta", "labels"], 10],
        [["list", 1], 7],
      ],
    );
    assert.deepEqual(
      cutObjectsIn(value.list).map((c) => c.path),
      [[1]],
    );
  });

  it("drops a wide object that lies in the cut part of another", () => {
    const outer = members(6, (i) => (i === 5 ? members(9) : "v"));
    const text = JSON.stringify({ outer });
    const { wide } = scanJsonText(text, { maxMembers: 4 });
    assert.equal(wide.length, 2);
    const value = parseCut(text, wide) as { outer: Record<string, unknown> };
    assert.equal(Object.keys(value.outer).length, 5);
    assert.deepEqual(
      cutObjectsIn(value).map((c) => [c.path, c.members]),
      [[["outer"], 6]],
    );
  });

  it("marks an object exactly one member over the limit though nothing is cut", () => {
    const text = JSON.stringify({ a: members(5) });
    const value = parseCut(text, scanJsonText(text, { maxMembers: 4 }).wide) as { a: object };
    assert.equal(Object.keys(value.a).length, 5);
    assert.deepEqual(cutObjectsIn(value)[0]!.path, ["a"]);
  });
});
