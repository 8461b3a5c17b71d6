// Mirrors bpf/include/events.h (the owner): flow events (drops and new connections), datapath
// config and the per-CPU event token bucket.
import { formatIp } from "../../../wire/cidr.ts";
import type { Direction } from "../../../wire/entries.ts";
import { readI32, readU16, readU32, readU64, type StructLayout, writeU32 } from "./layout.ts";
import { directionName } from "./policy.ts";
import { reasonName } from "./reasons.ts";

export const DROP_EVENT_LAYOUT: StructLayout = {
  struct: "pal_drop_event",
  size: 80,
  fields: {
    timestamp_ns: [0, 8],
    endpoint_id: [8, 4],
    ifindex: [12, 4],
    reason: [16, 4],
    peer_identity: [20, 4],
    policy_id: [24, 4],
    rule_index: [28, 2],
    direction: [30, 1],
    family: [31, 1],
    protocol: [32, 1],
    kind: [33, 1],
    src_port: [34, 2],
    dst_port: [36, 2],
    src_addr: [40, 16],
    dst_addr: [56, 16],
    packet_len: [72, 4],
  },
};
export const CONFIG_LAYOUT: StructLayout = {
  struct: "pal_config",
  size: 16,
  fields: { event_rate: [0, 4], event_burst: [4, 4], new_flow_sample: [8, 4] },
};
export const EVENT_BUCKET_LAYOUT: StructLayout = {
  struct: "pal_event_bucket",
  size: 48,
  fields: {
    tokens: [0, 8],
    last_ns: [8, 8],
    emitted: [16, 8],
    suppressed: [24, 8],
    lost: [32, 8],
    new_flows: [40, 8],
  },
};

/** PAL_EVENT_* of events.h: what a ring buffer record reports. */
export const EVENT_KIND = { DROP: 0, NEW_FLOW: 1 } as const;
export type EventKind = "drop" | "new_flow";

/** One ring buffer record: a drop, or the packet that created a conntrack entry. */
export interface DropEvent {
  /** "drop" (reason < 0) or "new_flow" (a new connection; reason > 0). */
  kind: EventKind;
  timestampNs: bigint;
  endpointId: number;
  ifindex: number;
  reason: number;
  reasonName: string;
  peerIdentity: number;
  policyId: number;
  ruleIndex: number;
  direction: Direction;
  /** 0 when the packet was not parsed far enough to know. */
  family: number;
  protocol: number;
  srcPort: number;
  dstPort: number;
  srcAddr: string;
  dstAddr: string;
  packetLen: number;
}

function addr(family: number, b: Buffer): string {
  if (family === 4) return formatIp(4, new Uint8Array(b.subarray(0, 4)));
  if (family === 6) return formatIp(6, new Uint8Array(b));
  return "";
}

export function decodeDropEvent(b: Buffer): DropEvent {
  const family = b[31]!;
  const reason = readI32(b, 16);
  return {
    kind: b[33] === EVENT_KIND.NEW_FLOW ? "new_flow" : "drop",
    timestampNs: readU64(b, 0),
    endpointId: readU32(b, 8),
    ifindex: readU32(b, 12),
    reason,
    reasonName: reasonName(reason),
    peerIdentity: readU32(b, 20),
    policyId: readU32(b, 24),
    ruleIndex: readU16(b, 28),
    direction: directionName(b[30]!),
    family,
    protocol: b[32]!,
    srcPort: readU16(b, 34),
    dstPort: readU16(b, 36),
    srcAddr: addr(family, b.subarray(40, 56)),
    dstAddr: addr(family, b.subarray(56, 72)),
    packetLen: readU32(b, 72),
  };
}

export interface DatapathConfig {
  /** Events (drops and new connections) per second per CPU; 0 turns events off. */
  eventRate: number;
  /** Token bucket size, in events. */
  eventBurst: number;
  /** Report one new connection in N (per CPU); 0 reports none, 1 (the default) every one. */
  newFlowSample?: number;
}

export function encodeConfig(c: DatapathConfig): Buffer {
  const b = Buffer.alloc(CONFIG_LAYOUT.size);
  writeU32(b, 0, c.eventRate);
  writeU32(b, 4, c.eventBurst);
  writeU32(b, 8, c.newFlowSample ?? 1);
  return b;
}

export interface EventStats {
  emitted: bigint;
  suppressed: bigint;
  lost: bigint;
}

export function sumEventBuckets(b: Buffer, cpus: number, stride = EVENT_BUCKET_LAYOUT.size): EventStats {
  const s = { emitted: 0n, suppressed: 0n, lost: 0n };
  for (let cpu = 0; cpu < cpus; cpu++) {
    s.emitted += readU64(b, cpu * stride + 16);
    s.suppressed += readU64(b, cpu * stride + 24);
    s.lost += readU64(b, cpu * stride + 32);
  }
  return s;
}
