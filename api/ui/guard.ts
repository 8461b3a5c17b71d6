// Owns who may use the console: the session cookie, re-verifying the token behind it on every
// request, the Origin check on every form post, and the per-session CSRF token.

import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Scope } from "../auth/tokens.ts";
import { type ConsoleSession, csrfMatches, type SessionStore } from "./sessions.ts";

export const COOKIE = "palisade_console";
export const UI_PREFIX = "/ui";

export type ConsoleVars = { session: ConsoleSession };
export type ConsoleEnv = { Variables: ConsoleVars };

/** Re-checks a token's scope now (null when revoked or unknown): the same check as bearer auth. */
export type VerifyToken = (token: string) => Scope | null;

/** What the guard does with a request that has no live session. */
export type SignedOut = (c: Context) => Response | Promise<Response>;

/**
 * Requires a live session whose token still verifies; a revoked token ends the session here. The
 * scope is re-read from the token, so a token's scope is never older than the request.
 */
export function requireSession(
  sessions: SessionStore,
  verify: VerifyToken,
  signedOut: SignedOut,
): MiddlewareHandler<ConsoleEnv> {
  return async function consoleSession(c, next) {
    const session = sessions.get(getCookie(c, COOKIE));
    if (!session) return signedOut(c);
    const scope = verify(session.token);
    if (!scope) {
      sessions.deleteByToken(session.token);
      return signedOut(c);
    }
    session.scope = scope;
    c.set("session", session);
    await next();
  };
}

/**
 * A state-changing request must come from a page of this server: the browser's Origin header (sent
 * with every POST) equals the request's own origin, and no fetch metadata says cross-site. An absent
 * Origin is refused: every browser this console supports sends one on POST.
 */
export function sameOrigin(c: Context): boolean {
  if (c.req.header("sec-fetch-site") === "cross-site") return false;
  const origin = c.req.header("origin");
  return origin !== undefined && origin === new URL(c.req.url).origin;
}

/** A form post of a signed-in page: same origin and the session's CSRF token in the `csrf` field. */
export function formIsGenuine(c: Context, session: ConsoleSession, form: Record<string, unknown>): boolean {
  return sameOrigin(c) && csrfMatches(session, form.csrf);
}

export function setSessionCookie(c: Context, session: ConsoleSession, maxAgeMs: number): void {
  setCookie(c, COOKIE, session.id, {
    httpOnly: true,
    sameSite: "Strict",
    path: UI_PREFIX,
    secure: new URL(c.req.url).protocol === "https:",
    maxAge: Math.floor(maxAgeMs / 1000),
  });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, COOKIE, { path: UI_PREFIX, httpOnly: true, sameSite: "Strict" });
}

/** Where to go after sign-in: only a console page of this server (no open redirect). */
export function safeNext(next: unknown): string {
  if (typeof next !== "string") return UI_PREFIX;
  if (!/^\/ui(\/[A-Za-z0-9._~\-/%]*)?(\?[^#\\]*)?$/.test(next) || next.includes("//")) return UI_PREFIX;
  if (next.startsWith("/ui/sign-")) return UI_PREFIX;
  return next;
}
