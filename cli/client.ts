// Owns talking to the REST API: requests, and typed errors for error answers and network failures.
import type { Io } from "./io.ts";

export interface Connection {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:7400`. */
  server: string;
  token?: string | undefined;
}

export interface ApiIssue {
  path?: string;
  message?: string;
  rule?: string;
  value?: unknown;
}

/** An answer with a 4xx/5xx status, in the `{"error": {code, message, issues}}` shape or not. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: ApiIssue[],
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The server could not be reached at all (refused, unknown host, reset). */
export class UnreachableError extends Error {
  override name = "UnreachableError";
  constructor(
    readonly server: string,
    readonly reason: string,
    options: { cause: unknown },
  ) {
    super(`the server is not reachable at ${server} (${reason})`, options);
  }
}

export interface RequestOptions {
  /** Serialised as JSON. */
  json?: unknown;
  /** Sent as is, with `contentType`. */
  text?: string;
  contentType?: string;
}

export interface ApiClient {
  request(method: string, path: string, options?: RequestOptions): Promise<unknown>;
}

export function createClient(connection: Connection, io: Io): ApiClient {
  return {
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { accept: "application/json" };
      if (connection.token) headers.authorization = `Bearer ${connection.token}`;
      let body: string | undefined;
      if (options.json !== undefined) {
        body = JSON.stringify(options.json);
        headers["content-type"] = "application/json";
      } else if (options.text !== undefined) {
        body = options.text;
        headers["content-type"] = options.contentType ?? "text/plain";
      }
      let response: Response;
      try {
        response = await io.fetch(`${connection.server}${path}`, { method, headers, body });
      } catch (error) {
        throw new UnreachableError(connection.server, describeNetworkError(error), { cause: error });
      }
      const text = await response.text();
      if (!response.ok) throw toApiError(response, text, connection);
      return parseAnswer(text, method, path);
    },
  };
}

/** Path segments come from the user: escape them so a name cannot change the route. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

function parseAnswer(text: string, method: string, path: string): unknown {
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${method} ${path} answered with something that is not JSON: ${text.slice(0, 200)}`, {
      cause: error,
    });
  }
}

export function toApiError(response: Response, text: string, connection: Connection): ApiError {
  const hint = hintFor(response.status, connection);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const error = isRecord(parsed) && isRecord(parsed.error) ? parsed.error : undefined;
  if (!error) {
    const detail = text.trim().slice(0, 200) || response.statusText;
    return new ApiError(response.status, `http.${response.status}`, detail, [], hint);
  }
  const issues = Array.isArray(error.issues) ? error.issues.filter(isRecord).map(toIssue) : [];
  const code = typeof error.code === "string" ? error.code : `http.${response.status}`;
  const message = typeof error.message === "string" ? error.message : response.statusText;
  return new ApiError(response.status, code, message, issues, hint);
}

function toIssue(issue: Record<string, unknown>): ApiIssue {
  return {
    path: typeof issue.path === "string" ? issue.path : undefined,
    message: typeof issue.message === "string" ? issue.message : undefined,
    rule: typeof issue.rule === "string" ? issue.rule : undefined,
    value: issue.value,
  };
}

function hintFor(status: number, connection: Connection): string | undefined {
  if (status === 401 && !connection.token) {
    return "no token was sent: pass --token, set PALISADE_TOKEN, or run from the directory holding data/admin-token";
  }
  if (status === 401) return "the token was refused: check --token or PALISADE_TOKEN";
  if (status === 403) return "this needs an admin token (read tokens may only read and evaluate)";
  return undefined;
}

export function describeNetworkError(error: unknown): string {
  const cause = error instanceof Error && isRecord(error.cause) ? error.cause : undefined;
  const code = typeof cause?.code === "string" ? cause.code : undefined;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "unknown host";
  if (code) return code;
  // fetch refuses some ports outright ("bad port"); its reason is on the cause.
  if (error instanceof Error && error.cause instanceof Error) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
