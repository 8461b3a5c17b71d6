// Codec round trips and canonical forms (pure: no kernel needed).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { mustParseCidr } from "../../../wire/cidr.ts";
import { decodeCtKey, decodeCtValue, encodeCtKey, encodeCtValue } from "./conntrack.ts";
import { COUNTER_SLOTS, counterIndex, counterSlot } from "./counters.ts";
import { decodeEndpoint, encodeEndpoint } from "./endpoints.ts";
import { decodeIpcacheKey, encodeIpcacheKey } from "./ipcache.ts";
import { decodePolicyKey, encodePolicyKey } from "./policy.ts";
import { REASONS } from "./reasons.ts";

describe("codecs", () => {
  it("the IPv4 fast path encodes exactly like the general CIDR parser, host bits cleared", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (ip, len) => {
        const text = `${ip}/${len}`;
        const p = mustParseCidr(text);
        const slow = Buffer.alloc(24);
        slow.writeUInt32LE(32 + p.prefixLen, 0);
        slow[4] = 4;
        Buffer.from(p.bytes).copy(slow, 8);
        assert.deepEqual(encodeIpcacheKey(text), slow);
      }),
    );
    assert.throws(() => encodeIpcacheKey("10.01.0.0/8"));
    assert.throws(() => encodeIpcacheKey("10.0.0.0/33"));
  });

  it("ipcache keys decode to the canonical prefix for both families", () => {
    assert.equal(decodeIpcacheKey(encodeIpcacheKey("10.1.2.3/16")), "10.1.0.0/16");
    assert.equal(decodeIpcacheKey(encodeIpcacheKey("fd00:0:0::1/128")), "fd00::1/128");
    assert.equal(decodeIpcacheKey(encodeIpcacheKey("0.0.0.0/0")), "0.0.0.0/0");
  });

  it("policy keys round-trip, with port bits past the prefix and any-protocol ports cleared", () => {
    const k = {
      policySetId: 7,
      direction: "egress" as const,
      remoteIdentity: 300,
      protocol: 6,
      port: 1029,
      portPrefixLen: 14,
    };
    assert.deepEqual(decodePolicyKey(encodePolicyKey(k)), { ...k, port: 1028 });
    const any = { ...k, protocol: 0, port: 80, portPrefixLen: 16 };
    assert.deepEqual(decodePolicyKey(encodePolicyKey(any)), { ...any, port: 0, portPrefixLen: 0 });
    assert.equal(encodePolicyKey(k).readUInt16BE(14), 1028);
  });

  it("endpoint and conntrack values round-trip", () => {
    const ep = {
      endpointId: 1,
      identity: 2,
      policySetId: 3,
      ingressIsolated: true,
      egressIsolated: false,
      ingressPolicyId: 4,
      egressPolicyId: 0,
    };
    assert.deepEqual(decodeEndpoint(encodeEndpoint(ep)), ep);
    const key = {
      endpointId: 9,
      family: 6 as const,
      protocol: 17,
      localAddr: new Uint8Array(16).fill(1),
      remoteAddr: new Uint8Array(16).fill(2),
      localPort: 53,
      remotePort: 40000,
    };
    assert.deepEqual(decodeCtKey(encodeCtKey(key)), key);
    const value = {
      expiresNs: 123n,
      policyId: 5,
      ruleIndex: 6,
      state: 2,
      origin: 1,
      peerIdentity: 77,
      flags: 3,
      generation: 0xfffffffe,
    };
    assert.deepEqual(decodeCtValue(encodeCtValue(value)), value);
  });

  it("every reason has its own counter slot in each direction", () => {
    const seen = new Set<number>();
    for (const dir of [0, 1]) {
      for (const code of Object.values(REASONS)) {
        const i = counterIndex(dir, code);
        assert.ok(i < COUNTER_SLOTS);
        assert.deepEqual(counterSlot(i), { direction: dir, reason: code });
        seen.add(i);
      }
    }
    assert.equal(seen.size, 2 * Object.keys(REASONS).length);
  });
});
