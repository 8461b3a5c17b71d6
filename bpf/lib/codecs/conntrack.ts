// Mirrors bpf/include/conntrack.h (the owner): flow key as seen by one endpoint, and flow state.
import { readU16, readU32, readU64, type StructLayout, writeU16, writeU32, writeU64 } from "./layout.ts";

export const CT_KEY_LAYOUT: StructLayout = {
  struct: "pal_ct_key",
  size: 44,
  fields: {
    endpoint_id: [0, 4],
    family: [4, 1],
    protocol: [5, 1],
    local_addr: [8, 16],
    remote_addr: [24, 16],
    local_port: [40, 2],
    remote_port: [42, 2],
  },
};
export const CT_VALUE_LAYOUT: StructLayout = {
  struct: "pal_ct_value",
  size: 32,
  fields: {
    expires_ns: [0, 8],
    policy_id: [8, 4],
    rule_index: [12, 2],
    state: [14, 1],
    origin: [15, 1],
    peer_identity: [16, 4],
    flags: [20, 1],
    generation: [24, 4],
  },
};
/** The policy generation (pal_generation_v1, one entry): see bpf/include/conntrack.h. */
export const GENERATION_LAYOUT: StructLayout = {
  struct: "pal_generation",
  size: 4,
  fields: { generation: [0, 4] },
};

export const CT_STATE = { SYN_SENT: 1, ESTABLISHED: 2, FIN: 3, CLOSE: 4, OTHER: 5 } as const;
export const CT_FLAG = { FIN_ORIGIN: 1, FIN_REPLY: 2 } as const;
/** Lifetimes in seconds (PAL_CT_TIMEOUT_*). */
export const CT_TIMEOUT = { SYN: 60, ESTABLISHED: 21600, FIN: 300, CLOSE: 10, OTHER: 60, ICMP: 30 } as const;

export interface CtKey {
  endpointId: number;
  family: 4 | 6;
  protocol: number;
  /** 16 bytes each; IPv4 in the first 4. */
  localAddr: Uint8Array;
  remoteAddr: Uint8Array;
  localPort: number;
  remotePort: number;
}

export interface CtValue {
  expiresNs: bigint;
  policyId: number;
  ruleIndex: number;
  state: number;
  /** Direction code (0 ingress, 1 egress) of the packet that created the flow. */
  origin: number;
  peerIdentity: number;
  flags: number;
  /** The policy generation the flow was last judged under; another one makes it judged again. */
  generation: number;
}

export function encodeCtKey(k: CtKey): Buffer {
  const b = Buffer.alloc(CT_KEY_LAYOUT.size);
  writeU32(b, 0, k.endpointId);
  b[4] = k.family;
  b[5] = k.protocol;
  Buffer.from(k.localAddr).copy(b, 8, 0, 16);
  Buffer.from(k.remoteAddr).copy(b, 24, 0, 16);
  writeU16(b, 40, k.localPort);
  writeU16(b, 42, k.remotePort);
  return b;
}

export function decodeCtKey(b: Buffer): CtKey {
  return {
    endpointId: readU32(b, 0),
    family: b[4] === 6 ? 6 : 4,
    protocol: b[5]!,
    localAddr: new Uint8Array(b.subarray(8, 24)),
    remoteAddr: new Uint8Array(b.subarray(24, 40)),
    localPort: readU16(b, 40),
    remotePort: readU16(b, 42),
  };
}

export function encodeCtValue(v: CtValue): Buffer {
  const b = Buffer.alloc(CT_VALUE_LAYOUT.size);
  writeU64(b, 0, v.expiresNs);
  writeU32(b, 8, v.policyId);
  writeU16(b, 12, v.ruleIndex);
  b[14] = v.state;
  b[15] = v.origin;
  writeU32(b, 16, v.peerIdentity);
  b[20] = v.flags;
  writeU32(b, 24, v.generation);
  return b;
}

export function decodeCtValue(b: Buffer): CtValue {
  return {
    expiresNs: readU64(b, 0),
    policyId: readU32(b, 8),
    ruleIndex: readU16(b, 12),
    state: b[14]!,
    origin: b[15]!,
    peerIdentity: readU32(b, 16),
    flags: b[20]!,
    generation: readU32(b, 24),
  };
}
