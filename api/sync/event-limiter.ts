// Owns the per-node limit on the events a node's own stream causes (node.connected,
// node.disconnected, node.nack and their log lines): a token bucket per node and kind that
// coalesces what it holds back. Pure and clocked; the hub delivers what it is given.

import { realClock, type TimeSource } from "../../lib/clock.ts";

export type NodeEventType = "node.connected" | "node.disconnected" | "node.nack";

/** Events that share a bucket. Connection and disconnection share one so that their order holds. */
export type NodeEventKind = "connection" | "nack";

export const kindOf = (type: NodeEventType): NodeEventKind => (type === "node.nack" ? "nack" : "connection");

export interface NodeEventLimits {
  /** Events of one kind a node may cause at once (default 10). */
  burst?: number;
  /** Events of one kind refilled per node per minute (default 10). */
  perMinute?: number;
}

/** An event to deliver, with how many events of its node and kind were dropped before it. */
export interface Admitted<E> {
  event: E;
  suppressed: number;
}

interface Bucket<E> {
  tokens: number;
  at: number;
  /** The newest event held back, delivered by `flush` once a token is back (a later event supersedes it). */
  held?: { type: NodeEventType; event: E };
  /** Events dropped since the last one delivered. */
  suppressed: number;
}

export class NodeEventLimiter<E> {
  private readonly buckets = new Map<string, Bucket<E>>();
  private readonly burst: number;
  private readonly perMinute: number;

  /** `onDrop` counts each event that will never be delivered (the metric). */
  constructor(
    limits: NodeEventLimits,
    private readonly onDrop: (type: NodeEventType) => void,
    private readonly clock: TimeSource = realClock,
  ) {
    this.burst = limits.burst ?? 10;
    this.perMinute = limits.perMinute ?? 10;
  }

  /** The event to deliver now, or null when it is held back (the newest held one goes out later). */
  offer(node: string, type: NodeEventType, event: E): Admitted<E> | null {
    const key = `${node}\0${kindOf(type)}`;
    const b = this.refill(this.buckets.get(key));
    this.buckets.set(key, b);
    if (b.held) {
      // The newer event tells the receiver more than the one it supersedes.
      this.onDrop(b.held.type);
      b.suppressed++;
      b.held = undefined;
    }
    if (b.tokens >= 1) return this.take(b, event);
    b.held = { type, event };
    return null;
  }

  /** Held events whose bucket has a token again, to deliver now; forgets full, idle buckets. */
  flush(): Admitted<E>[] {
    const out: Admitted<E>[] = [];
    for (const [key, stale] of this.buckets) {
      const b = this.refill(stale);
      if (b.held && b.tokens >= 1) {
        out.push(this.take(b, b.held.event));
        b.held = undefined;
      }
      if (!b.held && b.tokens >= this.burst) this.buckets.delete(key);
    }
    return out;
  }

  /** Node-kind pairs tracked (for tests: idle ones are forgotten). */
  get size(): number {
    return this.buckets.size;
  }

  private take(b: Bucket<E>, event: E): Admitted<E> {
    b.tokens -= 1;
    const suppressed = b.suppressed;
    b.suppressed = 0;
    return { event, suppressed };
  }

  private refill(b: Bucket<E> | undefined): Bucket<E> {
    const t = this.clock.now();
    if (!b) return { tokens: this.burst, at: t, suppressed: 0 };
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 60_000) * this.perMinute);
    b.at = t;
    return b;
  }
}
