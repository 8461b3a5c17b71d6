// Owns the limiter of failed enrollment attempts: a token bucket per client address (pure, clocked),
// in a table bounded by evicting the least recently seen address.
import { realClock, type TimeSource } from "../../lib/clock.ts";

interface Bucket {
  tokens: number;
  at: number;
}

export class FailureLimiter {
  /** Only addresses with failures not yet refilled, least recently seen first (Map keeps insertion order). */
  private readonly buckets = new Map<string, Bucket>();

  /**
   * @param burst failures allowed at once per client.
   * @param perMinute failures refilled per minute.
   * @param maxClients addresses tracked at most; past it the least recently seen one is forgotten
   *   (clearing the table instead would let an address spray reset every lockout).
   */
  constructor(
    private readonly burst = 10,
    private readonly perMinute = 10,
    private readonly clock: TimeSource = realClock,
    private readonly maxClients = 10_000,
  ) {}

  /** Addresses tracked (each has at least one failure not yet refilled). */
  get size(): number {
    return this.buckets.size;
  }

  /** True while the client may still fail (its bucket is not empty). Never adds an address. */
  allowed(client: string): boolean {
    const b = this.seen(client);
    return b === undefined || b.tokens >= 1;
  }

  /** Records one failure. */
  fail(client: string): void {
    const b = this.seen(client) ?? { tokens: this.burst, at: this.clock.now() };
    b.tokens = Math.max(0, b.tokens - 1);
    this.buckets.set(client, b);
    if (this.buckets.size > this.maxClients) this.buckets.delete(this.buckets.keys().next().value!);
  }

  /** The client's refilled bucket, moved to the most recently seen end; undefined once it is full. */
  private seen(client: string): Bucket | undefined {
    const b = this.buckets.get(client);
    if (!b) return undefined;
    this.buckets.delete(client);
    const t = this.clock.now();
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 60_000) * this.perMinute);
    b.at = t;
    if (b.tokens >= this.burst) return undefined;
    this.buckets.set(client, b);
    return b;
  }
}
