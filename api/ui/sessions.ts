// Owns console sessions: a random id (the cookie's only content) mapped, in this process's memory,
// to the token that signed in, its scope and a per-session CSRF token. Sessions end on sign-out, after
// an idle period, at an absolute age, or when the table is full (oldest first); a restart ends all.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { realClock, type TimeSource } from "../../lib/clock.ts";
import type { Scope } from "../auth/tokens.ts";

export interface ConsoleSession {
  /** Sent to the browser in the HttpOnly cookie; never stored as is (the table keys by its hash). */
  id: string;
  /** Put in every state-changing form and checked on submit. */
  csrf: string;
  /**
   * The token that signed in, kept server-side only: every request re-verifies it (a revoked token
   * ends its sessions) and the console's API relay presents it to the API's own bearer auth.
   */
  token: string;
  scope: Scope;
  createdAt: number;
  lastSeenAt: number;
}

export interface SessionOptions {
  /** A session unused this long ends (default 30 minutes). */
  idleMs?: number;
  /** A session ends this long after sign-in, used or not (default 12 hours). */
  maxAgeMs?: number;
  /** Live sessions kept at most; a new one beyond this ends the least recently used (default 1,000). */
  maxSessions?: number;
  clock?: TimeSource;
}

export class SessionStore {
  private readonly byHash = new Map<string, ConsoleSession>();
  private readonly idleMs: number;
  readonly maxAgeMs: number;
  private readonly maxSessions: number;
  private readonly clock: TimeSource;

  constructor(opts: SessionOptions = {}) {
    this.idleMs = opts.idleMs ?? 30 * 60_000;
    this.maxAgeMs = opts.maxAgeMs ?? 12 * 3600_000;
    this.maxSessions = opts.maxSessions ?? 1000;
    this.clock = opts.clock ?? realClock;
  }

  get size(): number {
    return this.byHash.size;
  }

  create(token: string, scope: Scope): ConsoleSession {
    const now = this.clock.now();
    const session: ConsoleSession = {
      id: randomBytes(32).toString("base64url"),
      csrf: randomBytes(32).toString("base64url"),
      token,
      scope,
      createdAt: now,
      lastSeenAt: now,
    };
    while (this.byHash.size >= this.maxSessions) {
      // Map order is insertion order and get() re-inserts on use: the first key is the least recently used.
      const oldest = this.byHash.keys().next().value;
      if (oldest === undefined) break;
      this.byHash.delete(oldest);
    }
    this.byHash.set(hashId(session.id), session);
    return session;
  }

  /** The live session with this id (and marks it used), or undefined; an expired one is removed. */
  get(id: string | undefined): ConsoleSession | undefined {
    if (!id) return undefined;
    const key = hashId(id);
    const session = this.byHash.get(key);
    if (!session) return undefined;
    const now = this.clock.now();
    if (now - session.lastSeenAt > this.idleMs || now - session.createdAt > this.maxAgeMs) {
      this.byHash.delete(key);
      return undefined;
    }
    session.lastSeenAt = now;
    this.byHash.delete(key);
    this.byHash.set(key, session);
    return session;
  }

  /** Ends a session; false when it was not live. */
  delete(id: string): boolean {
    return this.byHash.delete(hashId(id));
  }

  /** Ends every session signed in with this token (e.g. when it no longer verifies). */
  deleteByToken(token: string): number {
    let n = 0;
    for (const [key, s] of this.byHash) if (s.token === token && this.byHash.delete(key)) n++;
    return n;
  }
}

/** Constant-time comparison of a submitted CSRF token with the session's. */
export function csrfMatches(session: ConsoleSession, submitted: unknown): boolean {
  if (typeof submitted !== "string" || submitted.length === 0) return false;
  return timingSafeEqual(digest(submitted), digest(session.csrf));
}

// Lookups by a hash of the id, so a Map probe never compares secrets character by character.
function hashId(id: string): string {
  return createHash("sha256").update(id).digest("hex");
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}
