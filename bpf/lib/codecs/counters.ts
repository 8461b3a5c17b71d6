// Mirrors bpf/include/counters.h (the owner): per-CPU {packets, bytes} indexed by
// (direction, verdict, |reason|).

import { readU64, type StructLayout } from "./layout.ts";
import { REASON_SLOTS } from "./reasons.ts";

export const COUNTER_LAYOUT: StructLayout = {
  struct: "pal_counter",
  size: 16,
  fields: { packets: [0, 8], bytes: [8, 8] },
};
export const COUNTER_SLOTS = 2 * 2 * REASON_SLOTS;

/** Index of the counter for a verdict reason in a hook direction (0 ingress/to pod, 1 egress/from pod). */
export function counterIndex(direction: number, reason: number): number {
  const verdict = reason > 0 ? 1 : 0;
  const slot = Math.abs(reason) < REASON_SLOTS ? Math.abs(reason) : 0;
  return ((direction & 1) * 2 + verdict) * REASON_SLOTS + slot;
}

/** The (direction, reason) of a counter index; inverse of counterIndex. */
export function counterSlot(index: number): { direction: number; reason: number } {
  const slot = index % REASON_SLOTS;
  const verdict = Math.floor(index / REASON_SLOTS) % 2;
  const direction = Math.floor(index / (2 * REASON_SLOTS));
  return { direction, reason: verdict === 1 ? slot : -slot };
}

/** Sums the per-CPU values of one counter (valueStride bytes per CPU). */
export function sumPerCpuCounter(
  b: Buffer,
  cpus: number,
  stride = COUNTER_LAYOUT.size,
): { packets: bigint; bytes: bigint } {
  let packets = 0n;
  let bytes = 0n;
  for (let cpu = 0; cpu < cpus; cpu++) {
    packets += readU64(b, cpu * stride);
    bytes += readU64(b, cpu * stride + 8);
  }
  return { packets, bytes };
}
