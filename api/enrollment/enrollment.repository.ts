// Owns enrollment tokens and node credentials: creation (secrets shown once, stored hashed),
// trading a token for a credential in one transaction, verification and rotation.

import { randomBytes, timingSafeEqual } from "node:crypto";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { enrollmentTokens, nodes } from "../../db/schema.ts";
import { isoTime, realClock, type TimeSource } from "../../lib/clock.ts";
import type { EnrollAnswer } from "../../wire/enroll.ts";
import { sha256 } from "../auth/tokens.ts";
import { ApiError } from "../http/errors.ts";

export interface EnrollmentTokenInfo {
  id: string;
  description: string;
  expiresAt: string;
  maxUses: number;
  uses: number;
  allowReenroll: boolean;
  createdAt: string;
  revokedAt: string | null;
}

const TOKEN = /^pet_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;
const CREDENTIAL = /^pnc_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$/;

function secret(prefix: string, idBytes: number): { id: string; text: string } {
  const id = randomBytes(idBytes).toString("hex");
  return { id, text: `${prefix}_${id}_${randomBytes(32).toString("base64url")}` };
}

function hashMatches(storedHex: string, presented: string): boolean {
  return timingSafeEqual(Buffer.from(storedHex, "hex"), sha256(presented));
}

export class EnrollmentRepository {
  /**
   * Prepared once: every agent stream authenticates with it, and building and preparing the
   * query on each call cost more than the lookup (10,000 agents reconnect at once after a restart).
   */
  private readonly credentialLookup;

  constructor(
    private readonly db: Db,
    private readonly clock: TimeSource = realClock,
  ) {
    this.credentialLookup = db
      .select({ name: nodes.name, credentialHash: nodes.credentialHash })
      .from(nodes)
      .where(eq(nodes.credentialId, sql.placeholder("id")))
      .prepare();
  }

  createToken(opts: { ttlSeconds: number; maxUses: number; description: string; allowReenroll: boolean }) {
    const { id, text } = secret("pet", 6);
    const createdAt = this.clock.now();
    const expiresAt = new Date(createdAt + opts.ttlSeconds * 1000).toISOString();
    this.db
      .insert(enrollmentTokens)
      .values({
        id,
        description: opts.description,
        secretHash: sha256(text).toString("hex"),
        expiresAt,
        maxUses: opts.maxUses,
        allowReenroll: opts.allowReenroll,
        createdAt: new Date(createdAt).toISOString(),
      })
      .run();
    return { id, token: text, expiresAt };
  }

  listTokens(): EnrollmentTokenInfo[] {
    return this.db
      .select()
      .from(enrollmentTokens)
      .all()
      .map(({ secretHash: _, ...info }) => info);
  }

  revokeToken(id: string): boolean {
    const at = isoTime(this.clock);
    const res = this.db
      .update(enrollmentTokens)
      .set({ revokedAt: at })
      .where(and(eq(enrollmentTokens.id, id), isNull(enrollmentTokens.revokedAt)))
      .run();
    return res.changes > 0;
  }

  /** Trades a valid token for a fresh credential bound to `node`. Throws ApiError with a clear code. */
  enroll(token: string, node: string, agentVersion: string): EnrollAnswer {
    return this.db.transaction((tx) => {
      const match = TOKEN.exec(token);
      const row = match
        ? tx.select().from(enrollmentTokens).where(eq(enrollmentTokens.id, match[1]!)).get()
        : undefined;
      if (!row || !hashMatches(row.secretHash, token)) {
        throw new ApiError("enrollment.token_invalid", "the enrollment token is unknown or malformed");
      }
      const now = this.clock.now();
      if (row.revokedAt)
        throw new ApiError("enrollment.token_revoked", `enrollment token ${row.id} was revoked`);
      if (Date.parse(row.expiresAt) <= now) {
        throw new ApiError(
          "enrollment.token_expired",
          `enrollment token ${row.id} expired at ${row.expiresAt}`,
        );
      }
      if (row.uses >= row.maxUses) {
        throw new ApiError(
          "enrollment.token_used_up",
          `enrollment token ${row.id} was used ${row.uses} of ${row.maxUses} times`,
        );
      }
      const existing = tx.select({ name: nodes.name }).from(nodes).where(eq(nodes.name, node)).get();
      if (existing && !row.allowReenroll) {
        throw new ApiError(
          "enrollment.node_exists",
          `node ${node} is already enrolled; use a token that allows re-enrollment or delete the node first`,
        );
      }
      tx.update(enrollmentTokens)
        .set({ uses: row.uses + 1 })
        .where(eq(enrollmentTokens.id, row.id))
        .run();
      const { id, text } = secret("pnc", 8);
      const at = new Date(now).toISOString();
      const values = {
        credentialId: id,
        credentialHash: sha256(text).toString("hex"),
        enrolledAt: at,
        enrollmentTokenId: row.id,
        agentVersion,
      };
      if (existing)
        tx.update(nodes)
          .set({ ...values, credentialRotatedAt: null })
          .where(eq(nodes.name, node))
          .run();
      else
        tx.insert(nodes)
          .values({ name: node, ...values })
          .run();
      return { node, credential: text };
    });
  }

  /** The node a credential belongs to, or null when it is unknown, malformed or superseded. */
  verifyCredential(credential: string): string | null {
    const match = CREDENTIAL.exec(credential);
    if (!match) return null;
    const row = this.credentialLookup.get({ id: match[1]! });
    if (!row || !hashMatches(row.credentialHash, credential)) return null;
    return row.name;
  }

  /** Replaces a node's credential; the old one stops working at once. */
  rotateCredential(node: string): string {
    const { id, text } = secret("pnc", 8);
    this.db
      .update(nodes)
      .set({
        credentialId: id,
        credentialHash: sha256(text).toString("hex"),
        credentialRotatedAt: isoTime(this.clock),
      })
      .where(eq(nodes.name, node))
      .run();
    return text;
  }
}
