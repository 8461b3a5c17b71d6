// Mirrors bpf/include/endpoints.h (the owner): key = ifindex (u32), value = struct pal_endpoint.
import type { EndpointEntry } from "../../../wire/entries.ts";
import { readU32, type StructLayout, writeU32 } from "./layout.ts";

export const ENDPOINT_LAYOUT: StructLayout = {
  struct: "pal_endpoint",
  size: 24,
  fields: {
    endpoint_id: [0, 4],
    identity: [4, 4],
    policy_set_id: [8, 4],
    ingress_policy_id: [12, 4],
    egress_policy_id: [16, 4],
    flags: [20, 4],
  },
};
export const ENDPOINT_KEY_SIZE = 4;
export const EP_INGRESS_ISOLATED = 1;
export const EP_EGRESS_ISOLATED = 2;
/** Set in every entry written: an array slot without it is empty. */
export const EP_PRESENT = 4;
/** Interface indexes below it live in the array map (pal_endpoints_by_index_v1), the rest in the hash. */
export const EP_INDEX_MAX = 16384;
export const EP_INGRESS_AUDIT = 8;
export const EP_EGRESS_AUDIT = 16;
export const EP_INGRESS_ISOLATED_ALL = 32;
export const EP_EGRESS_ISOLATED_ALL = 64;
export const EP_INGRESS_ADMIN = 128;
export const EP_EGRESS_ADMIN = 256;
export const EP_INGRESS_BASELINE = 512;
export const EP_EGRESS_BASELINE = 1024;

/** The endpoint as the datapath holds it (EndpointEntry without the interface name). */
export type EndpointValue = Omit<EndpointEntry, "interface">;

export function encodeEndpointKey(ifindex: number): Buffer {
  const b = Buffer.alloc(ENDPOINT_KEY_SIZE);
  writeU32(b, 0, ifindex);
  return b;
}

export function decodeEndpointKey(b: Buffer): number {
  return readU32(b, 0);
}

export function encodeEndpoint(e: EndpointValue): Buffer {
  const b = Buffer.alloc(ENDPOINT_LAYOUT.size);
  writeU32(b, 0, e.endpointId);
  writeU32(b, 4, e.identity);
  writeU32(b, 8, e.policySetId);
  writeU32(b, 12, e.ingressPolicyId);
  writeU32(b, 16, e.egressPolicyId);
  writeU32(
    b,
    20,
    EP_PRESENT |
      (e.ingressIsolated ? EP_INGRESS_ISOLATED : 0) |
      (e.egressIsolated ? EP_EGRESS_ISOLATED : 0) |
      (e.ingressAudit ? EP_INGRESS_AUDIT : 0) |
      (e.egressAudit ? EP_EGRESS_AUDIT : 0) |
      (e.ingressIsolatedAll ? EP_INGRESS_ISOLATED_ALL : 0) |
      (e.egressIsolatedAll ? EP_EGRESS_ISOLATED_ALL : 0) |
      (e.ingressAdmin ? EP_INGRESS_ADMIN : 0) |
      (e.egressAdmin ? EP_EGRESS_ADMIN : 0) |
      (e.ingressBaseline ? EP_INGRESS_BASELINE : 0) |
      (e.egressBaseline ? EP_EGRESS_BASELINE : 0),
  );
  return b;
}

/** Whether an array slot holds an endpoint. */
export function endpointPresent(b: Buffer): boolean {
  return (readU32(b, 20) & EP_PRESENT) !== 0;
}

export function decodeEndpoint(b: Buffer): EndpointValue {
  const flags = readU32(b, 20);
  const out: EndpointValue = {
    endpointId: readU32(b, 0),
    identity: readU32(b, 4),
    policySetId: readU32(b, 8),
    ingressIsolated: (flags & EP_INGRESS_ISOLATED) !== 0,
    egressIsolated: (flags & EP_EGRESS_ISOLATED) !== 0,
    ingressPolicyId: readU32(b, 12),
    egressPolicyId: readU32(b, 16),
  };
  // Audit flags only when set, so entries without them read back exactly as written.
  if (flags & EP_INGRESS_AUDIT) out.ingressAudit = true;
  if (flags & EP_EGRESS_AUDIT) out.egressAudit = true;
  if (flags & EP_INGRESS_ISOLATED_ALL) out.ingressIsolatedAll = true;
  if (flags & EP_EGRESS_ISOLATED_ALL) out.egressIsolatedAll = true;
  if (flags & EP_INGRESS_ADMIN) out.ingressAdmin = true;
  if (flags & EP_EGRESS_ADMIN) out.egressAdmin = true;
  if (flags & EP_INGRESS_BASELINE) out.ingressBaseline = true;
  if (flags & EP_EGRESS_BASELINE) out.egressBaseline = true;
  return out;
}
