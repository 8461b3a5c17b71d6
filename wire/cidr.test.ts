// Tables of addresses and prefixes, including the forms hand-written parsers get wrong, for
// wire/cidr.ts (parsing, RFC 5952 formatting, prefix arithmetic).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  canonicalCidr,
  formatIp,
  hostPrefix,
  mustParseCidr,
  parseCidr,
  parseIp,
  prefixContains,
} from "./cidr.ts";

/** One test per case: the address parsed (as `family`) and written back canonically, or refused. */
function roundTrips(family: 4 | 6, cases: [string, string | null][]): void {
  for (const [text, want] of cases) {
    it(`${JSON.stringify(text)} -> ${want ?? "refused"}`, () => {
      const ip = parseIp(text);
      assert.equal(ip ? formatIp(ip.family, ip.bytes) : null, want);
      if (want !== null) assert.equal(ip?.family, family);
    });
  }
}

describe("parseIp: IPv4", () => {
  const cases: [string, string | null][] = [
    ["0.0.0.0", "0.0.0.0"],
    ["10.1.2.3", "10.1.2.3"],
    ["255.255.255.255", "255.255.255.255"],
    // Leading zeros are refused: some parsers read them as octal, others as decimal.
    ["010.0.0.1", null],
    ["10.0.0.01", null],
    ["00.0.0.0", null],
    ["256.0.0.0", null],
    ["1.2.3", null],
    ["1.2.3.4.5", null],
    ["1..2.3", null],
    ["1.2.3.", null],
    ["+1.2.3.4", null],
    ["0x1.2.3.4", null],
    ["1.2.3.4 ", null],
    [" 1.2.3.4", null],
    ["1.2.3.-4", null],
    ["", null],
  ];
  roundTrips(4, cases);
});

describe("parseIp: IPv6", () => {
  const cases: [string, string | null][] = [
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["1::8", "1::8"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    // `::` stands for one or more zero groups, at either end too.
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"],
    ["1:2:3::5:6:7:8", "1:2:3:0:5:6:7:8"],
    // ... but never for none.
    ["1:2:3:4::5:6:7:8", null],
    ["::1:2:3:4:5:6:7:8", null],
    ["1:2:3:4:5:6:7:8::", null],
    // Too many or too few groups, double `::`, stray colons.
    ["1:2:3:4:5:6:7:8:9", null],
    ["1:2:3:4:5:6:7", null],
    ["1::2::3", null],
    ["::1::", null],
    [":::", null],
    ["1:::2", null],
    [":1:2:3:4:5:6:7", null],
    ["1:2:3:4:5:6:7:", null],
    [":", null],
    // Groups: up to four hex digits, leading zeros allowed, any case.
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["12345::", null],
    ["g::", null],
    ["FE80::ABCD", "fe80::abcd"],
    ["Fe80::aBcD", "fe80::abcd"],
    // Zone ids are not part of an address here.
    ["fe80::1%eth0", null],
    ["fe80::1%1", null],
    // Embedded IPv4: mapped and compatible forms, only as the last 32 bits.
    ["::ffff:1.2.3.4", "::ffff:102:304"],
    ["::FFFF:10.0.0.1", "::ffff:a00:1"],
    ["::1.2.3.4", "::102:304"],
    ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
    ["1:2:3:4:5:6:7:1.2.3.4", null],
    ["::ffff:01.2.3.4", null],
    ["::ffff:1.2.3", null],
    ["::ffff:256.2.3.4", null],
    ["1.2.3.4::", null],
    ["1.2.3.4::1", null],
    ["::1.2.3.4:1", null],
    ["[::1]", null],
  ];
  roundTrips(6, cases);

  it("reads the mapped form's IPv4 bytes into the last 32 bits", () => {
    assert.deepEqual(
      [...(parseIp("::ffff:1.2.3.4")?.bytes ?? [])],
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4],
    );
  });

  it("refuses what is not a string", () => {
    assert.equal(parseIp(undefined as unknown as string), null);
    assert.equal(parseIp(7 as unknown as string), null);
  });
});

describe("formatIp: RFC 5952", () => {
  const v6 = (groups: number[]) => {
    const bytes = new Uint8Array(16);
    groups.forEach((g, i) => {
      bytes[i * 2] = g >> 8;
      bytes[i * 2 + 1] = g & 0xff;
    });
    return formatIp(6, bytes);
  };
  const cases: [string, number[], string][] = [
    ["the longest zero run is compressed", [1, 0, 0, 2, 0, 0, 0, 3], "1:0:0:2::3"],
    ["the first of equally long runs is compressed", [0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], "2001:db8::1:0:0:1"],
    ["a single zero group is not compressed", [0x2001, 0xdb8, 0, 1, 1, 1, 1, 1], "2001:db8:0:1:1:1:1:1"],
    ["a run at the start", [0, 0, 0, 0, 0, 0, 0, 1], "::1"],
    ["a run at the end", [1, 0, 0, 0, 0, 0, 0, 0], "1::"],
    ["all zeros", [0, 0, 0, 0, 0, 0, 0, 0], "::"],
    ["no zeros", [1, 2, 3, 4, 5, 6, 7, 8], "1:2:3:4:5:6:7:8"],
    ["leading zeros dropped, lower case", [0xabcd, 0x00ef, 0, 0, 0, 0, 0, 0x000a], "abcd:ef::a"],
    ["a later longer run wins over an earlier shorter one", [0, 0, 1, 0, 0, 0, 1, 0], "0:0:1::1:0"],
  ];
  for (const [name, groups, want] of cases) {
    it(`${name}: ${want}`, () => assert.equal(v6(groups), want));
  }

  it("writes IPv4 as a dotted quad", () => {
    assert.equal(formatIp(4, new Uint8Array([10, 0, 0, 255])), "10.0.0.255");
  });
});

describe("parseCidr and canonicalCidr", () => {
  const cases: [string, string | null, boolean?][] = [
    ["10.0.0.0/8", "10.0.0.0/8", false],
    // Host bits set: accepted (Kubernetes uses the network they name) and cleared.
    ["10.1.2.3/8", "10.0.0.0/8", true],
    ["10.1.2.3/31", "10.1.2.2/31", true],
    ["192.168.1.129/25", "192.168.1.128/25", true],
    ["0.0.0.0/0", "0.0.0.0/0", false],
    ["10.0.0.0/0", "0.0.0.0/0", true],
    ["10.1.2.3/32", "10.1.2.3/32", false],
    ["::/0", "::/0", false],
    ["fd00::1/0", "::/0", true],
    ["fd00::1/128", "fd00::1/128", false],
    ["FD00:0:0:0:0:0:0:1/64", "fd00::/64", true],
    ["2001:db8::ff/120", "2001:db8::/120", true],
    ["2001:db8:0:0:1::/64", "2001:db8::/64", true],
    ["::ffff:1.2.3.4/96", "::ffff:0:0/96", true],
    // Lengths: within the family, decimal, no leading zeros or signs.
    ["10.0.0.0/33", null],
    ["::/129", null],
    ["10.0.0.0/08", null],
    ["10.0.0.0/-1", null],
    ["10.0.0.0/+8", null],
    ["10.0.0.0/ 8", null],
    ["10.0.0.0/", null],
    ["10.0.0.0/8/8", null],
    ["10.0.0.0", null],
    ["/8", null],
    ["010.0.0.0/8", null],
    ["fe80::1%eth0/64", null],
    ["1.2.3.4::/64", null],
    // IPv4 is read in place up to the slash: a colon on either side still refuses it.
    ["10.0.0.0/8:", null],
    ["10.0.0.0:/8", null],
    ["10.0.0/8", null],
    ["10.0.0.256/32", null],
  ];
  for (const [text, want, hostBits] of cases) {
    it(`${JSON.stringify(text)} -> ${want ?? "refused"}`, () => {
      assert.equal(canonicalCidr(text), want);
      if (want !== null) assert.equal(parseCidr(text)?.hostBitsSet, hostBits);
    });
  }

  it("canonical text is a fixed point", () => {
    for (const [, want] of cases) if (want !== null) assert.equal(canonicalCidr(want), want);
  });

  it("mustParseCidr throws on what parseCidr refuses, naming the value", () => {
    assert.throws(() => mustParseCidr("10.0.0.0/33"), /not a CIDR prefix: "10\.0\.0\.0\/33"/);
    assert.equal(mustParseCidr("10.0.0.0/8").prefixLen, 8);
  });
});

describe("hostPrefix", () => {
  it("is the canonical /32 or /128 of an address, and null for anything else", () => {
    assert.equal(hostPrefix("10.1.2.3"), "10.1.2.3/32");
    assert.equal(hostPrefix("FE80::0001"), "fe80::1/128");
    assert.equal(hostPrefix("::ffff:1.2.3.4"), "::ffff:102:304/128");
    assert.equal(hostPrefix("10.1.2.3/32"), null);
    assert.equal(hostPrefix("010.1.2.3"), null);
  });
});

describe("prefixContains", () => {
  const cases: [string, string, boolean][] = [
    ["10.0.0.0/8", "10.1.2.3/32", true],
    ["10.0.0.0/8", "10.0.0.0/8", true],
    ["10.0.0.0/8", "11.0.0.0/8", false],
    ["10.1.0.0/16", "10.0.0.0/8", false],
    ["0.0.0.0/0", "255.255.255.255/32", true],
    ["::/0", "10.0.0.0/8", false],
    ["0.0.0.0/0", "::/0", false],
    ["10.1.2.0/23", "10.1.3.255/32", true],
    ["10.1.2.0/23", "10.1.4.0/32", false],
    ["fd00::/7", "fdff::1/128", true],
    ["fd00::/8", "fe00::/128", false],
    ["::ffff:0:0/96", "::ffff:1.2.3.4/128", true],
  ];
  for (const [outer, inner, want] of cases) {
    it(`${outer} ${want ? "contains" : "does not contain"} ${inner}`, () =>
      assert.equal(prefixContains(mustParseCidr(outer), mustParseCidr(inner)), want));
  }
});
