// Choosing the test /24 (lib/netns/subnet.ts): always inside 198.18.0.0/15, never one in use.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { freeSubnet, pickSubnet } from "./subnet.ts";

describe("pickSubnet", () => {
  it("starts from the seed, so side-by-side suites start apart", () => {
    const s = pickSubnet("", 6);
    assert.deepEqual(
      [s.cidr, s.gateway, s.podAddress(0), s.podAddress(2)],
      ["198.18.7.0/24", "198.18.7.1", "198.18.7.11", "198.18.7.13"],
    );
    assert.equal(pickSubnet("", 300).cidr, "198.19.45.0/24");
  });

  it("skips a /24 a route already uses", () => {
    const routes = "198.18.7.0/24 dev pxbr proto kernel scope link src 198.18.7.1\n";
    assert.notEqual(pickSubnet(routes, 6, () => 0.5).cidr, "198.18.7.0/24");
  });

  it("stays inside 198.18.0.0/15 and never picks a .0.x network of either /16", () => {
    let x = 0;
    const random = () => (x = (x * 7919 + 104729) % 1e6) / 1e6;
    for (let seed = 0; seed < 2000; seed++) {
      const { cidr } = pickSubnet("198.18.0.\n198.19.0.\n", seed, random);
      assert.match(cidr, /^198\.1[89]\.([1-9]\d?|1\d\d|2[0-4]\d|25[0-5])\.0\/24$/);
    }
  });

  it("fails when every candidate is taken", () => {
    const all = Array.from({ length: 512 }, (_, n) => `198.${18 + (n >> 8)}.${n & 255}.`).join("\n");
    assert.throws(() => pickSubnet(all, 1), /no free \/24 in 198\.18\.0\.0\/15/);
  });
});

describe("freeSubnet", () => {
  it("never hands out one subnet twice in a process, though no bridge holds it yet", () => {
    const a = freeSubnet().cidr;
    const b = freeSubnet().cidr;
    assert.notEqual(a, b);
  });
});
