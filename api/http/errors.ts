// Owns the API's error answer: `{"error": {"code", "message", "issues"}}` with a 4xx status for
// anything the caller can fix, and the one onError that maps every thrown error to it.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ValidationIssue } from "../policy/validation/index.ts";
import { StoreError } from "../store/errors.ts";

/** The most issues one error answer lists. */
export const MAX_ISSUES = 100;

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly issues: ValidationIssue[] = [],
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** A 422 listing at most MAX_ISSUES issues (details.issueCount tells how many there were). */
  static invalid(kind: string, issues: ValidationIssue[]): ApiError {
    const first = issues[0];
    const summary = first ? `${first.path}: ${first.message}` : "invalid";
    const more =
      issues.length > 1 ? ` (and ${issues.length - 1} more issue${issues.length > 2 ? "s" : ""})` : "";
    // A body of 100,000 bad label keys must not become a 30 MB answer.
    const shown = issues.slice(0, MAX_ISSUES);
    const details = issues.length > MAX_ISSUES ? { issueCount: issues.length } : {};
    return new ApiError(422, `${kind}.invalid`, `${kind} is invalid: ${summary}${more}`, shown, details);
  }
}

export function errorBody(code: string, message: string, issues: ValidationIssue[] = [], details = {}) {
  return { error: { code, message, issues, ...(Object.keys(details).length > 0 ? { details } : {}) } };
}

/** Maps any error to the error answer; unexpected ones are logged and answered 500 without internals. */
export function handleError(err: Error, c: Context, log: (line: Record<string, unknown>) => void): Response {
  if (err instanceof ApiError)
    return c.json(errorBody(err.code, err.message, err.issues, err.details), err.status);
  if (err instanceof StoreError) return c.json(errorBody(err.code, err.message, [], err.details), err.status);
  const status = (err as { status?: number }).status;
  if (status === 413) return c.json(errorBody("request.too_large", err.message), 413);
  log({
    level: "error",
    msg: "unhandled error",
    method: c.req.method,
    path: c.req.path,
    error: String(err?.stack ?? err),
  });
  return c.json(errorBody("internal", "internal error; see the server log"), 500);
}
