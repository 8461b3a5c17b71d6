// Owns the API's error answer: `{"error": {"code", "message", "issues"}}` with the status the code
// is declared with (error-codes.ts), and the one onError that maps every thrown error to it.
import type { Context } from "hono";
import type { Log } from "../../lib/log.ts";
import type { ValidationIssue } from "../policy/validation/index.ts";
import { type ErrorCode, type InvalidKind, statusOf } from "./error-codes.ts";

/** The most issues one error answer lists. */
export const MAX_ISSUES = 100;

export interface ApiErrorOptions {
  issues?: ValidationIssue[];
  details?: Record<string, unknown>;
  /** What caused it (kept for the log and debugging, never answered). */
  cause?: unknown;
}

export class ApiError extends Error {
  readonly issues: ValidationIssue[];
  readonly details: Record<string, unknown>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    opts: ApiErrorOptions = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "ApiError";
    this.issues = opts.issues ?? [];
    this.details = opts.details ?? {};
  }

  get status() {
    return statusOf(this.code);
  }

  /** A 422 listing at most MAX_ISSUES issues (details.issueCount tells how many there were). */
  static invalid(kind: InvalidKind, issues: ValidationIssue[]): ApiError {
    const first = issues[0];
    const summary = first ? `${first.path}: ${first.message}` : "invalid";
    const more =
      issues.length > 1 ? ` (and ${issues.length - 1} more issue${issues.length > 2 ? "s" : ""})` : "";
    // A body of 100,000 bad label keys must not become a 30 MB answer.
    const shown = issues.slice(0, MAX_ISSUES);
    const details = issues.length > MAX_ISSUES ? { issueCount: issues.length } : {};
    return new ApiError(`${kind}.invalid`, `${kind} is invalid: ${summary}${more}`, {
      issues: shown,
      details,
    });
  }
}

/** The one error body every refusal answers with (REST routes and the agent stream's upgrade). */
export function errorBody(code: ErrorCode, message: string, issues: ValidationIssue[] = [], details = {}) {
  return { error: { code, message, issues, ...(Object.keys(details).length > 0 ? { details } : {}) } };
}

/** The answer for an ApiError: its declared status and the error body. */
export function errorResponse(c: Context, err: ApiError): Response {
  return c.json(errorBody(err.code, err.message, err.issues, err.details), err.status);
}

/** Maps any error to the error answer; unexpected ones are logged and answered 500 without internals. */
export function handleError(err: Error, c: Context, log: Log): Response {
  if (err instanceof ApiError) {
    // The client's fault (it aborted, or sent a broken encoding), but worth a line: no stack.
    if (err.code === "request.unreadable") {
      log({
        level: "warn",
        msg: "request body unreadable",
        method: c.req.method,
        path: c.req.path,
        error: err.message,
      });
    }
    // The YAML parser's worker failed (a server-side failure with its own code): no stack either.
    if (err.code === "request.yaml_parser_failed") {
      log({
        level: "error",
        msg: "request failed",
        code: err.code,
        method: c.req.method,
        path: c.req.path,
        error: err.message,
      });
    }
    return errorResponse(c, err);
  }
  const status = (err as { status?: number }).status;
  if (status === 413) return errorResponse(c, new ApiError("request.too_large", err.message, { cause: err }));
  log({
    level: "error",
    msg: "unhandled error",
    method: c.req.method,
    path: c.req.path,
    error: String(err?.stack ?? err),
  });
  return errorResponse(c, new ApiError("internal", "internal error; see the server log"));
}
