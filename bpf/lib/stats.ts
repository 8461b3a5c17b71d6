// Owns reading the datapath's counters, event statistics and drop events.
import type { Direction } from "../../wire/entries.ts";
import { COUNTER_SLOTS, counterIndex, counterSlot, sumPerCpuCounter } from "./codecs/counters.ts";
import { type DropEvent, decodeDropEvent, type EventStats, sumEventBuckets } from "./codecs/events.ts";
import { writeU32 } from "./codecs/layout.ts";
import { directionName } from "./codecs/policy.ts";
import { reasonName } from "./codecs/reasons.ts";
import type { Collection } from "./collection.ts";
import { MAPS } from "./datapath.ts";
import { native } from "./native.ts";
import { RingBufferReader } from "./ringbuf.ts";

export interface CounterSample {
  direction: Direction;
  verdict: "pass" | "drop";
  reason: number;
  reasonName: string;
  packets: bigint;
  bytes: bigint;
}

function key(index: number): Buffer {
  const k = Buffer.alloc(4);
  writeU32(k, 0, index);
  return k;
}

/** One counter, summed over CPUs. direction: 0 ingress (to pod), 1 egress (from pod). */
export function readCounter(
  c: Collection,
  direction: number,
  reason: number,
): { packets: bigint; bytes: bigint } {
  const map = c.map(MAPS.counters);
  const v = map.lookup(key(counterIndex(direction, reason)));
  if (!v) return { packets: 0n, bytes: 0n };
  return sumPerCpuCounter(v, native().possibleCpus(), Math.ceil(map.valueSize / 8) * 8);
}

/** Every non-zero counter. */
export function readCounters(c: Collection): CounterSample[] {
  const out: CounterSample[] = [];
  for (let i = 0; i < COUNTER_SLOTS; i++) {
    const { direction, reason } = counterSlot(i);
    if (reason === 0) continue;
    const { packets, bytes } = readCounter(c, direction, reason);
    if (packets === 0n) continue;
    out.push({
      direction: directionName(direction),
      verdict: reason > 0 ? "pass" : "drop",
      reason,
      reasonName: reasonName(reason),
      packets,
      bytes,
    });
  }
  return out;
}

export function readEventStats(c: Collection): EventStats {
  const map = c.map(MAPS.eventBucket);
  const v = map.lookup(Buffer.alloc(4));
  return v
    ? sumEventBuckets(v, native().possibleCpus(), Math.ceil(map.valueSize / 8) * 8)
    : { emitted: 0n, suppressed: 0n, lost: 0n };
}

/** PAL_EVENT_POLL_MS of events.h: new-connection events wake no reader, so readers also poll. */
export const EVENT_POLL_MS = 100;

/**
 * Delivers decoded flow events (drops and new connections) on the event loop until the reader is
 * closed: drops as they come, new connections within EVENT_POLL_MS (or at once when many wait).
 */
export function subscribeDropEvents(
  c: Collection,
  onEvents: (events: DropEvent[]) => void,
): RingBufferReader {
  return new RingBufferReader(
    c.map(MAPS.events),
    (records) => onEvents(records.map(decodeDropEvent)),
    EVENT_POLL_MS,
  );
}
