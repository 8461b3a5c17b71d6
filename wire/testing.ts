// Test builders and fast-check arbitraries for the entry shapes of wire/entries.ts, shared by the
// tests on every side of the wire (the algebra here, the agent's planner, the BPF model).
import fc from "fast-check";
import type { Direction, EndpointEntry, IpcacheEntry, PolicyEntry } from "./entries.ts";

export const ip = (prefix: string, identity: number, prefixIdentity = 0): IpcacheEntry => ({
  prefix,
  identity,
  prefixIdentity,
});

export const pol = (over: Partial<PolicyEntry> = {}): PolicyEntry => ({
  policySetId: 1,
  direction: "ingress",
  remoteIdentity: 300,
  protocol: 6,
  port: 80,
  portPrefixLen: 16,
  verdict: "allow",
  policyId: 7,
  ruleIndex: 0,
  ...over,
});

export const ep = (iface: string, over: Partial<EndpointEntry> = {}): EndpointEntry => ({
  interface: iface,
  endpointId: 11,
  identity: 300,
  policySetId: 1,
  ingressIsolated: true,
  egressIsolated: false,
  ingressPolicyId: 7,
  egressPolicyId: 0,
  ...over,
});

/** The values arbitrary entries draw from: each test picks what its checks need. */
export interface EntryDomain {
  prefixes: readonly string[];
  /** Peer identities of ipcache entries; policy entries also name the wildcard 0. */
  identities: readonly number[];
  prefixIdentities: readonly number[];
  policySetIds: readonly number[];
  protocols: readonly number[];
  ports: fc.Arbitrary<number>;
  portPrefixLens: fc.Arbitrary<number>;
  /** Policy ids run from 1 to `policyIds`, rule indexes from 0 to `ruleIndexes`. */
  policyIds: number;
  ruleIndexes: number;
  endpointIdentities: readonly number[];
  /** Endpoints name isolating policies from 0 (none) to this. */
  isolatingPolicyIds: number;
}

/** Few values of each field, so random states share keys and collide often. */
export const SMALL_DOMAIN: EntryDomain = {
  prefixes: ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32", "10.1.2.4/32", "192.168.0.0/16"],
  identities: [1, 2, 300, 301, 302, 0x0100_0001],
  prefixIdentities: [0, 0x0100_0001],
  policySetIds: [1, 2],
  protocols: [0, 6, 17],
  ports: fc.constantFrom(80, 443, 8080),
  portPrefixLens: fc.constantFrom(0, 13, 16),
  policyIds: 3,
  ruleIndexes: 2,
  endpointIdentities: [300, 301],
  isolatingPolicyIds: 3,
};

export function ipcacheEntryArb(d: EntryDomain): fc.Arbitrary<IpcacheEntry> {
  return fc.record({
    prefix: fc.constantFrom(...d.prefixes),
    identity: fc.constantFrom(...d.identities),
    prefixIdentity: fc.constantFrom(...d.prefixIdentities),
  });
}

export function policyEntryArb(d: EntryDomain): fc.Arbitrary<PolicyEntry> {
  return fc.record({
    policySetId: fc.constantFrom(...d.policySetIds),
    direction: fc.constantFrom<Direction>("ingress", "egress"),
    remoteIdentity: fc.constantFrom(0, ...d.identities),
    protocol: fc.constantFrom(...d.protocols),
    port: d.ports,
    portPrefixLen: d.portPrefixLens,
    verdict: fc.constant<"allow">("allow"),
    policyId: fc.integer({ min: 1, max: d.policyIds }),
    ruleIndex: fc.integer({ min: 0, max: d.ruleIndexes }),
  });
}

/** An endpoint entry's value: everything but the interface. */
export function endpointValueArb(d: EntryDomain): fc.Arbitrary<Omit<EndpointEntry, "interface">> {
  return fc.record({
    endpointId: fc.integer({ min: 1, max: 3 }),
    identity: fc.constantFrom(...d.endpointIdentities),
    policySetId: fc.constantFrom(...d.policySetIds),
    ingressIsolated: fc.boolean(),
    egressIsolated: fc.boolean(),
    ingressPolicyId: fc.integer({ min: 0, max: d.isolatingPolicyIds }),
    egressPolicyId: fc.integer({ min: 0, max: d.isolatingPolicyIds }),
  });
}

export function endpointEntryArb(iface: fc.Arbitrary<string>, d: EntryDomain): fc.Arbitrary<EndpointEntry> {
  return fc.tuple(iface, endpointValueArb(d)).map(([i, v]) => ({ interface: i, ...v }));
}
