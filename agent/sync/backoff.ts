// Owns reconnect timing: exponential backoff with jitter (pure; randomness injected), short while
// the control plane is unreachable, long once it answered and refused.
import { CLOSE } from "../../wire/sync.ts";

export interface BackoffOptions {
  initialMs: number;
  /**
   * The longest delay after the control plane could not be reached or the stream was lost
   * (connection refused or reset, handshake timeout, heartbeats stopped, server going away). It
   * bounds how long a fleet stays away after a control-plane restart: an agent that backed off to
   * 30 s while the control plane was down came back up to 30 s after it was up again.
   */
  maxMs: number;
  /**
   * The longest delay after the control plane answered and refused the stream (an HTTP status on
   * the upgrade, a revoked credential, a protocol error, a message over the size limit, a newer
   * stream of the same node): retrying
   * such a refusal quickly only adds load. The cap is the larger of this and maxMs.
   */
  refusedMaxMs: number;
  factor: number;
  /** Fraction of each delay that is random: 0 = fixed, 1 = anywhere in [0, delay]. */
  jitter: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = {
  initialMs: 500,
  maxMs: 5_000,
  refusedMaxMs: 30_000,
  factor: 2,
  jitter: 0.5,
};

/** Close codes (and HTTP statuses, < 1000) that mean the control plane was reached and said no. */
export function isRefusal(code: number): boolean {
  if (code >= 100 && code < 600) return true; // an HTTP answer to the upgrade
  // A message over the size limit (either side) comes back the same on a quick retry.
  return (
    code === CLOSE.REVOKED || code === CLOSE.PROTOCOL || code === CLOSE.REPLACED || code === CLOSE.TOO_BIG
  );
}

/**
 * The delay before attempt `attempt` (0 = first retry): capped exponential, minus a random share;
 * `refused` selects the refusal cap.
 */
export function backoffDelay(
  attempt: number,
  options: Partial<BackoffOptions> = {},
  random: () => number = Math.random,
  refused = false,
) {
  const { initialMs, maxMs, refusedMaxMs, factor, jitter } = { ...DEFAULT_BACKOFF, ...options };
  const cap = refused ? Math.max(maxMs, refusedMaxMs) : maxMs;
  const base = Math.min(cap, initialMs * factor ** Math.max(0, attempt));
  return Math.round(base * (1 - jitter * random()));
}
