import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NetworkPolicy } from "../model.ts";
import { cannotExceed, policyEntriesLowerBound } from "./rule-bound.ts";

const host = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`;

function ingress(peers: unknown[], ports: number[]): NetworkPolicy {
  return {
    namespace: "prod",
    name: "p",
    spec: {
      podSelector: {},
      policyTypes: ["Ingress"],
      egress: [],
      ingress: [{ peers, ports: ports.map((port) => ({ protocol: "TCP", port })) }],
    },
  } as unknown as NetworkPolicy;
}

describe("policyEntriesLowerBound", () => {
  it("counts the policy's own prefixes its blocks select, times distinct ports", () => {
    const policy = ingress(
      [
        { ipBlock: { cidr: "10.0.0.0/8", except: [host(1)] } },
        { ipBlock: { cidr: "10.0.0.0/8", except: [host(2)] } },
        { ipBlock: { cidr: "192.168.0.0/16", except: [] } },
      ],
      [80, 443, 80],
    );
    // Selected: 10.0.0.0/8, both hosts (each block takes the other's except), 192.168.0.0/16.
    assert.equal(policyEntriesLowerBound(policy), 4 * 2);
  });

  it("a prefix every block excepts is not counted", () => {
    const policy = ingress(
      [
        { ipBlock: { cidr: "10.0.0.0/8", except: [host(1), "10.1.0.0/16"] } },
        { ipBlock: { cidr: "10.0.0.0/8", except: ["10.0.0.0/16"] } },
      ],
      [80],
    );
    // 10.0.0.1 is inside both blocks' excepts; 10.0.0.0/8, 10.1.0.0/16 and 10.0.0.0/16 are selected.
    assert.equal(policyEntriesLowerBound(policy), 3);
  });

  it("stops above the cap for the 538 KiB body (127 x 256 excepts + 0.0.0.0/0, 128 ports)", () => {
    let n = 0;
    const blocks = Array.from({ length: 127 }, () => ({
      ipBlock: { cidr: "0.0.0.0/0", except: Array.from({ length: 256 }, () => host(n++)) },
    }));
    const policy = ingress(
      [...blocks, { ipBlock: { cidr: "0.0.0.0/0", except: [] } }],
      [...Array.from({ length: 128 }, (_, i) => 1000 + i)],
    );
    assert.ok(policyEntriesLowerBound(policy, 16_384) > 16_384);
    // Without a cap it counts them all: every prefix, on every port.
    assert.equal(policyEntriesLowerBound(policy), (127 * 256 + 1) * 128);
  });

  it("counts blocks without excepts from the trie, overlapping cidrs once, and agrees with the full count", () => {
    const plainOnly = ingress(
      [
        { ipBlock: { cidr: "10.0.0.0/8", except: [] } },
        { ipBlock: { cidr: "10.1.0.0/16", except: [] } },
        { ipBlock: { cidr: "10.0.0.0/8", except: [host(7)] } },
      ],
      [80],
    );
    // Own prefixes: 10.0.0.0/8, 10.1.0.0/16, 10.0.0.7/32; the plain blocks select all three.
    assert.equal(policyEntriesLowerBound(plainOnly), 3);
    assert.ok(policyEntriesLowerBound(plainOnly, 1) > 1);
    // A plain block elsewhere does not hide what the except-block selects.
    const apart = ingress(
      [
        { ipBlock: { cidr: "192.168.0.0/16", except: [] } },
        { ipBlock: { cidr: "10.0.0.0/8", except: [host(1)] } },
        { ipBlock: { cidr: "10.0.0.0/8", except: [host(2)] } },
      ],
      [80],
    );
    assert.ok(policyEntriesLowerBound(apart, 1) > 1);
    assert.equal(policyEntriesLowerBound(apart), 4);
  });

  it("cannotExceed clears a policy only when its lower bound is within the cap", () => {
    let n = 0;
    const blocks = Array.from({ length: 128 }, () => ({
      ipBlock: { cidr: "10.0.0.0/8", except: Array.from({ length: 100 }, () => host(n++)) },
    }));
    const policy = ingress(blocks, [80]);
    const exact = policyEntriesLowerBound(policy);
    assert.equal(exact, 128 * 100 + 1);
    assert.equal(cannotExceed(policy, exact), true);
    assert.equal(cannotExceed(policy, exact - 1), false);
    assert.ok(policyEntriesLowerBound(policy, exact - 1) > exact - 1);
    // Two ports double every rule's bound; a rule without peers counts one wildcard per port.
    assert.equal(cannotExceed(ingress(blocks, [80, 81]), 2 * exact - 1), false);
    assert.equal(cannotExceed(ingress([], [80, 81]), 2), true);
  });
});
