// Owns how failures are told on stderr: API errors with issues, no server, unreadable files.
import { ApiError, UnreachableError } from "./client.ts";
import type { Io } from "./io.ts";

/** A failure outside the API that needs no stack trace, e.g. a file that cannot be read. */
export class CliError extends Error {
  override name = "CliError";
}

/** One line naming what failed and its code (EADDRINUSE, enrollment.token_invalid, ...). */
export function explainError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && !error.message.includes(code)
    ? `${error.message} (${code})`
    : error.message;
}

export function reportFailure(error: unknown, io: Io): number {
  io.stderr.write(describeFailure(error));
  return 1;
}

export function describeFailure(error: unknown): string {
  if (error instanceof ApiError) {
    const lines = [`error: ${error.code}: ${error.message} (HTTP ${error.status})`];
    for (const issue of error.issues) {
      const message = issue.message ?? issue.rule ?? "invalid";
      lines.push(issue.path ? `  ${issue.path}: ${message}` : `  ${message}`);
    }
    if (error.hint) lines.push(`hint: ${error.hint}`);
    return `${lines.join("\n")}\n`;
  }
  if (error instanceof UnreachableError) {
    return [
      `error: ${error.message}.`,
      "Start a control plane with `palisade server`, or point --server (env PALISADE_SERVER) at a running one.",
      "",
    ].join("\n");
  }
  if (error instanceof CliError) return `error: ${error.message}\n`;
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `error: unexpected failure: ${detail}\n`;
}
