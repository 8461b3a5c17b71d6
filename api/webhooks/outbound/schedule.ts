// Owns when a failed delivery is tried again: a fixed, roughly exponential schedule over about
// three days, each delay spread by jitter so receivers that recover are not hit all at once.

/** Delays before attempts 2, 3, ... (ms). With the first attempt, 10 attempts over ~71.6 h. */
export const RETRY_DELAYS_MS = [
  5_000, // 5 s
  5 * 60_000, // 5 min
  30 * 60_000, // 30 min
  2 * 3_600_000, // 2 h
  5 * 3_600_000, // 5 h
  10 * 3_600_000, // 10 h
  14 * 3_600_000, // 14 h
  20 * 3_600_000, // 20 h
  20 * 3_600_000, // 20 h
] as const;

/** Every delay is multiplied by a factor in [1 - JITTER, 1 + JITTER). */
export const JITTER = 0.2;

/**
 * The epoch ms of the attempt after attempt number `attempt` (1-based) failed at `now`, or null
 * when that was the last one. `random` returns a number in [0, 1).
 */
export function nextAttemptAt(
  attempt: number,
  now: number,
  random: () => number,
  delays: readonly number[] = RETRY_DELAYS_MS,
): number | null {
  const base = delays[attempt - 1];
  if (base === undefined) return null;
  const factor = 1 - JITTER + 2 * JITTER * random();
  return now + Math.round(base * factor);
}
