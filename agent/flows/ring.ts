// Owns the agent's memory of recent flows: a fixed-size ring (oldest overwritten), queried newest
// first for the newest `limit` matching a filter and answered oldest first.
import { type Flow, type FlowFilter, flowMatches } from "../../wire/flows.ts";

export const DEFAULT_FLOW_RING = 16_384;

export class FlowRing {
  readonly #slots: (Flow | undefined)[];
  readonly #times: number[];
  #next = 0;
  #size = 0;

  constructor(readonly capacity: number = DEFAULT_FLOW_RING) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`ring capacity must be >= 1, got ${capacity}`);
    this.#slots = new Array(capacity);
    this.#times = new Array(capacity).fill(0);
  }

  get size(): number {
    return this.#size;
  }

  push(f: Flow): void {
    this.#slots[this.#next] = f;
    this.#times[this.#next] = Date.parse(f.time);
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size += 1;
  }

  /** The newest `limit` flows that match, oldest first. */
  query(filter: FlowFilter, limit: number): Flow[] {
    const out: Flow[] = [];
    for (let i = 1; i <= this.#size && out.length < limit; i++) {
      const slot = (this.#next - i + this.capacity) % this.capacity;
      const f = this.#slots[slot]!;
      const t = this.#times[slot]!;
      if (flowMatches(f, filter, t)) out.push(f);
    }
    return out.reverse();
  }
}
