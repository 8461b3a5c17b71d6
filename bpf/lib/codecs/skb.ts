// Mirrors struct __sk_buff (linux/bpf.h) for BPF_PROG_TEST_RUN, and the verdict trace the policy
// programs leave in skb->cb[0..4] (bpf/prog/policy.bpf.c). Offsets checked by layout.test.ts.
import { readI32, readU32, writeU32 } from "./layout.ts";

export const SKB_SIZE = 192;
export const SKB_IFINDEX_OFFSET = 40;
export const SKB_CB_OFFSET = 48;

/** A __sk_buff context whose ifindex the test run applies to the packet (the device must exist). */
export function skbContext(ifindex: number): Buffer {
  const b = Buffer.alloc(SKB_SIZE);
  writeU32(b, SKB_IFINDEX_OFFSET, ifindex);
  return b;
}

export interface VerdictTrace {
  reason: number;
  /** Remote identity the decision used (0 when the program stopped before the ipcache). */
  identity: number;
  policyId: number;
  ruleIndex: number;
  endpointId: number;
}

export function readVerdictTrace(ctx: Buffer): VerdictTrace {
  return {
    reason: readI32(ctx, SKB_CB_OFFSET),
    identity: readU32(ctx, SKB_CB_OFFSET + 4),
    policyId: readU32(ctx, SKB_CB_OFFSET + 8),
    ruleIndex: readU32(ctx, SKB_CB_OFFSET + 12),
    endpointId: readU32(ctx, SKB_CB_OFFSET + 16),
  };
}
