// Owns the one shape of a structured log line, shared by control plane, agent and CLI.

/** One structured log line; `msg` says what happened, `level` how much it matters. */
export type Log = (line: Record<string, unknown>) => void;

/** Writes each line as one JSON object with its time to stdout. */
export function jsonLog(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`);
}
