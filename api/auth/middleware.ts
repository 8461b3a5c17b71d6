// Owns bearer-token authentication and scope checks for every route but the open ones.
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../http/errors.ts";
import { type Scope, secretsEqual, type TokenRepository } from "./tokens.ts";

export interface AuthOptions {
  adminToken: string;
  tokens: TokenRepository;
  /** Paths served without a token; one ending in `*` opens every path it prefixes. */
  openPaths?: string[];
  /** POST paths a read-scoped token may call (they compute, never store). */
  readPosts?: string[];
  /** Verifies node credentials (`pnc_...`): the node they belong to, or null. */
  nodeCredentials?: { verifyCredential(credential: string): string | null };
}

/** `node` is a node credential: it may only call the routes in `nodeMayCall` (its own endpoints). */
export type AuthVariables = { scope: Scope | "node"; node?: string };

/**
 * Routes a node credential may call: its own node's endpoints (written by the CNI plugin through
 * the agent), their listing, and the revision. Each route checks the endpoint's node itself.
 */
export function nodeMayCall(method: string, path: string, node: string): boolean {
  if (method === "GET" && path === "/v1/revision") return true;
  if (method === "GET" && path === `/v1/nodes/${node}/endpoints`) return true;
  return (
    (method === "GET" || method === "PUT" || method === "DELETE") &&
    /^\/v1\/namespaces\/[^/]+\/endpoints\/[^/]+$/.test(path)
  );
}

/** Requires a node credential (`Bearer pnc_...`); the node it belongs to is `c.get("node")`. */
export function nodeCredential(
  verify: (credential: string) => string | null,
): MiddlewareHandler<{ Variables: { node: string } }> {
  return async function authenticateNode(c, next) {
    const match = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
    const node = match ? verify(match[1]!) : null;
    if (!node) throw new ApiError("auth.invalid_credential", "a valid node credential is required");
    c.set("node", node);
    return next();
  };
}

/** The scope of an API token (the admin token or a stored one), or null; node credentials are not tokens. */
export function tokenScope(
  presented: string,
  opts: { adminToken: string; tokens: Pick<TokenRepository, "verify"> },
): Scope | null {
  return secretsEqual(presented, opts.adminToken) ? "admin" : opts.tokens.verify(presented);
}

/** Requires a valid bearer token; `read` tokens may only use GET and HEAD (and the `readPosts`). */
export function bearerAuth(opts: AuthOptions): MiddlewareHandler<{ Variables: AuthVariables }> {
  const paths = opts.openPaths ?? ["/healthz", "/readyz", "/v1/enroll"];
  const open = new Set(paths.filter((p) => !p.endsWith("*")));
  const openPrefixes = paths.filter((p) => p.endsWith("*")).map((p) => p.slice(0, -1));
  const readPosts = new Set(opts.readPosts ?? ["/v1/evaluate"]);
  return async function authenticate(c, next) {
    if (open.has(c.req.path) || openPrefixes.some((p) => c.req.path.startsWith(p))) return next();
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      c.header("WWW-Authenticate", 'Bearer realm="palisade"');
      throw new ApiError("auth.missing_token", "this route needs an Authorization: Bearer <token> header");
    }
    const presented = match[1]!;
    // A node credential opens only its own node's routes; elsewhere it is not a token (401).
    const node = opts.nodeCredentials?.verifyCredential(presented) ?? null;
    if (node !== null && nodeMayCall(c.req.method, c.req.path, node)) {
      c.set("scope", "node");
      c.set("node", node);
      return next();
    }
    const scope = tokenScope(presented, opts);
    if (!scope) throw new ApiError("auth.invalid_token", "the bearer token is unknown, malformed or revoked");
    const readOnly = c.req.method === "GET" || c.req.method === "HEAD" || readPosts.has(c.req.path);
    if (scope === "read" && !readOnly) {
      throw new ApiError("auth.forbidden", `a read-scoped token cannot ${c.req.method} ${c.req.path}`);
    }
    c.set("scope", scope);
    return next();
  };
}
