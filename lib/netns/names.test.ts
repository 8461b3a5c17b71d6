// Names for run-scoped resources (lib/netns/names.ts): unique per call, short enough for interfaces.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IFNAME_MAX, ifname, randomPrefix, runPrefix } from "./names.ts";

describe("run-scoped names", () => {
  it("gives every call its own prefix, starting with p and the tag", () => {
    const prefixes = Array.from({ length: 200 }, () => runPrefix("e"));
    assert.equal(new Set(prefixes).size, prefixes.length);
    for (const p of prefixes) assert.match(p, /^pe[0-9a-z]{5,}$/);
  });

  it("leaves room for a pod index and a suffix within an interface name", () => {
    assert.ok(`${runPrefix("k")}99h`.length <= IFNAME_MAX);
  });

  it("builds the demo's pdm prefix from 4 random base-36 characters", () => {
    for (let i = 0; i < 50; i++) assert.match(randomPrefix("pdm", 4), /^pdm[0-9a-z]{4}$/);
  });

  it("refuses interface names longer than 15 characters or with other characters", () => {
    assert.equal(ifname("pe1k4x91br"), "pe1k4x91br");
    assert.throws(() => ifname("a".repeat(16)), /holds 1 to 15 letters.*got "a{16}"/);
    assert.throws(() => ifname("bad/name"), /got "bad\/name"/);
    assert.throws(() => ifname(""), /got ""/);
  });
});
