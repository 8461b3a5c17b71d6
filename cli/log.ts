// Owns the JSON log lines the long-running commands (server, agent, up) write to stdout, and the
// levels --log-level accepts.
import type { Io } from "./io.ts";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** Writes lines at or above `threshold` as JSON; a line without `level` counts as info. */
export function createLogger(threshold: string, io: Io, now: () => Date) {
  const minimum = LOG_LEVELS.indexOf(threshold as (typeof LOG_LEVELS)[number]);
  return (line: Record<string, unknown>): void => {
    const level = typeof line.level === "string" ? line.level : "info";
    const rank = LOG_LEVELS.indexOf(level as (typeof LOG_LEVELS)[number]);
    if (rank !== -1 && rank < minimum) return;
    io.stdout.write(`${JSON.stringify({ time: now().toISOString(), ...line, level })}\n`);
  };
}
