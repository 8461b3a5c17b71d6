// The TypeScript twin of pal_event_take_token (bpf/include/events.h): per-CPU token bucket for
// drop events, tokens in units of 1e-9 event.
import type { DatapathConfig } from "../codecs/events.ts";

const ONE = 1_000_000_000n;
const REFILL_CAP_NS = 10_000_000_000n;

export class TokenBucket {
  #tokens = 0n;
  #lastNs = 0n;
  #newFlows = 0n;
  readonly #config: DatapathConfig;

  constructor(config: DatapathConfig) {
    this.#config = config;
  }

  /** A new connection is sampled first (1 in newFlowSample); one not sampled takes no token. */
  take(nowNs: bigint, newFlow = false): boolean {
    if (this.#config.eventRate === 0) return false;
    if (newFlow) {
      const n = BigInt(this.#config.newFlowSample ?? 1);
      if (n === 0n) return false;
      const seen = this.#newFlows;
      this.#newFlows += 1n;
      if (n > 1n && seen % n !== 0n) return false;
    }
    const cap = BigInt(this.#config.eventBurst) * ONE;
    let elapsed = nowNs - this.#lastNs;
    if (elapsed > REFILL_CAP_NS) elapsed = REFILL_CAP_NS;
    let tokens = this.#tokens + elapsed * BigInt(this.#config.eventRate);
    if (tokens > cap) tokens = cap;
    this.#lastNs = nowNs;
    if (tokens < ONE) {
      this.#tokens = tokens;
      return false;
    }
    this.#tokens = tokens - ONE;
    return true;
  }
}
