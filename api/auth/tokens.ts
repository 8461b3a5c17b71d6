// Owns API tokens: creation (secret shown once), listing, revocation and verification. Only a
// SHA-256 of each secret is stored; comparisons are constant-time.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { apiTokens } from "../../db/schema.ts";
import { isoTime, realClock, type TimeSource } from "../../lib/clock.ts";

export type Scope = "admin" | "read";

/**
 * `lastUsedAt` is written at most once per this interval per token: a token that calls the API
 * many times a second costs one small write a minute, not one per request.
 */
export const LAST_USED_RESOLUTION_MS = 60_000;

export interface TokenInfo {
  id: string;
  description: string;
  scope: Scope;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** Constant-time equality of two secrets (compared as hashes so lengths never leak). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

export class TokenRepository {
  constructor(
    private readonly db: Db,
    private readonly clock: TimeSource = realClock,
  ) {}

  create(scope: Scope, description: string): TokenInfo & { token: string } {
    const id = randomBytes(6).toString("hex");
    const token = `pal_${id}_${randomBytes(32).toString("base64url")}`;
    const createdAt = isoTime(this.clock);
    this.db
      .insert(apiTokens)
      .values({ id, description, scope, secretHash: sha256(token).toString("hex"), createdAt })
      .run();
    return { id, description, scope, createdAt, revokedAt: null, lastUsedAt: null, token };
  }

  list(): TokenInfo[] {
    return this.db.select().from(apiTokens).all().map(toInfo);
  }

  /** Marks a token revoked; returns false when no such live token exists. */
  revoke(id: string): boolean {
    const at = isoTime(this.clock);
    const res = this.db
      .update(apiTokens)
      .set({ revokedAt: at })
      .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
      .run();
    return res.changes > 0;
  }

  /** The scope of a presented token, or null when it is unknown, malformed or revoked. */
  verify(presented: string): Scope | null {
    const match = /^pal_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/.exec(presented);
    if (!match) return null;
    const row = this.db.select().from(apiTokens).where(eq(apiTokens.id, match[1]!)).get();
    if (!row || row.revokedAt !== null) return null;
    if (!timingSafeEqual(Buffer.from(row.secretHash, "hex"), sha256(presented))) return null;
    this.recordUse(row.id, row.lastUsedAt);
    return row.scope;
  }

  /** Writes `lastUsedAt` when the stored one is over a minute old (or ahead of the clock). */
  private recordUse(id: string, stored: string | null): void {
    const now = this.clock.now();
    const last = stored === null ? Number.NaN : Date.parse(stored);
    if (now - last < LAST_USED_RESOLUTION_MS && now >= last) return;
    this.db
      .update(apiTokens)
      .set({ lastUsedAt: new Date(now).toISOString() })
      .where(eq(apiTokens.id, id))
      .run();
  }
}

function toInfo(row: typeof apiTokens.$inferSelect): TokenInfo {
  return {
    id: row.id,
    description: row.description,
    scope: row.scope,
    createdAt: row.createdAt,
    revokedAt: row.revokedAt,
    lastUsedAt: row.lastUsedAt,
  };
}
