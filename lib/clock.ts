// Owns the one convention for injected time: epoch milliseconds from a Clock, and its timers
// (real ones unref'd, so they never keep a process alive). Tests pass lib/testing/manual-clock.ts.

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What only reads the time (and sets no timers) takes. */
export type TimeSource = Pick<Clock, "now">;

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** The clock's time as an RFC 3339 string (what rows and answers store). */
export function isoTime(clock: TimeSource): string {
  return new Date(clock.now()).toISOString();
}
