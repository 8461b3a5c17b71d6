// Test builders for map entries (wire/entries.ts shapes) with defaults the agent tests share.
import type { EndpointEntry, IpcacheEntry, PolicyEntry } from "../../wire/entries.ts";

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
