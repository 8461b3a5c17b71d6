import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { portPrefixContains, portRangeToPrefixes } from "./entries.ts";

describe("portRangeToPrefixes", () => {
  it("turns a single port into one full-length prefix", () => {
    assert.deepEqual(portRangeToPrefixes(80, 80), [{ port: 80, prefixLen: 16 }]);
  });

  it("turns the whole port space into one zero-length prefix", () => {
    assert.deepEqual(portRangeToPrefixes(0, 65535), [{ port: 0, prefixLen: 0 }]);
  });

  it("covers 1000-2000 with a handful of aligned blocks", () => {
    const prefixes = portRangeToPrefixes(1000, 2000);
    assert.ok(prefixes.length <= 30, `got ${prefixes.length} prefixes`);
  });

  it("refuses a reversed range", () => {
    assert.throws(() => portRangeToPrefixes(10, 9), RangeError);
  });

  it("covers exactly the ports of the range, each once", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 2000 }), (start, span) => {
        const end = Math.min(65535, start + span);
        const prefixes = portRangeToPrefixes(start, end);
        for (const probe of [start - 1, start, end, end + 1, Math.floor((start + end) / 2)]) {
          if (probe < 0 || probe > 65535) continue;
          const hits = prefixes.filter((p) => portPrefixContains(p.port, p.prefixLen, probe)).length;
          assert.equal(hits, probe >= start && probe <= end ? 1 : 0, `port ${probe} in ${start}-${end}`);
        }
      }),
    );
  });
});
