// Owns the limiter of failed enrollment attempts: a token bucket per client address (pure, clocked).
import { realClock, type TimeSource } from "../../lib/clock.ts";

export class FailureLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /**
   * @param burst failures allowed at once per client.
   * @param perMinute failures refilled per minute.
   */
  constructor(
    private readonly burst = 10,
    private readonly perMinute = 10,
    private readonly clock: TimeSource = realClock,
  ) {}

  /** True while the client may still try (its bucket is not empty). */
  allowed(client: string): boolean {
    return this.refill(client).tokens >= 1;
  }

  /** Records one failure. */
  fail(client: string): void {
    const b = this.refill(client);
    b.tokens = Math.max(0, b.tokens - 1);
  }

  private refill(client: string): { tokens: number; at: number } {
    const t = this.clock.now();
    let b = this.buckets.get(client);
    if (!b) {
      b = { tokens: this.burst, at: t };
      this.buckets.set(client, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 60_000) * this.perMinute);
    b.at = t;
    if (this.buckets.size > 10_000) this.buckets.clear();
    return b;
  }
}
