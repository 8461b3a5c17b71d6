// Owns webhook subscriptions: create (secret shown once, stored sealed), list, get, update,
// delete, secret rotation with a grace period, and disabling (e.g. on 410 Gone).

import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { webhooks } from "../../../db/schema.ts";
import { realClock, type TimeSource } from "../../../lib/clock.ts";
import { secretContext, WEBHOOK_PREVIOUS_SECRET, WEBHOOK_SECRET } from "../sealed-secrets.ts";
import { processSecretBox, type SecretBox } from "../secret-box.ts";
import { generateSecret } from "../signing.ts";

export interface Subscription {
  id: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  createdAt: string;
  updatedAt: string;
  /** When the secret before the last rotation stops being used to sign (null when none). */
  previousSecretExpiresAt: string | null;
}

export interface SubscriptionInput {
  url: string;
  events: string[];
  description: string;
  enabled: boolean;
}

export class SubscriptionRepository {
  constructor(
    private readonly db: Db,
    private readonly clock: TimeSource = realClock,
    private readonly random: (n: number) => Buffer = randomBytes,
    private readonly box: SecretBox = processSecretBox(),
  ) {}

  create(input: SubscriptionInput): Subscription & { secret: string } {
    const id = `wh_${this.random(8).toString("hex")}`;
    const secret = generateSecret(this.random);
    const at = new Date(this.clock.now()).toISOString();
    this.db
      .insert(webhooks)
      .values({
        id,
        url: input.url,
        description: input.description,
        events: JSON.stringify(input.events),
        enabled: input.enabled,
        secret: this.box.seal(secret, secretContext(WEBHOOK_SECRET, id)),
        createdAt: at,
        updatedAt: at,
      })
      .run();
    return { ...this.get(id)!, secret };
  }

  list(): Subscription[] {
    return this.db.select().from(webhooks).all().map(toSubscription);
  }

  get(id: string): Subscription | undefined {
    const row = this.db.select().from(webhooks).where(eq(webhooks.id, id)).get();
    return row ? toSubscription(row) : undefined;
  }

  /** The secrets to sign with now: the current one, and the previous one during its grace period. */
  signingSecrets(id: string): string[] {
    const row = this.db.select().from(webhooks).where(eq(webhooks.id, id)).get();
    if (!row) return [];
    const grace = row.previousSecret && (row.previousSecretExpiresAt ?? 0) > this.clock.now();
    const current = this.box.open(row.secret, secretContext(WEBHOOK_SECRET, id));
    if (!grace) return [current];
    return [current, this.box.open(row.previousSecret!, secretContext(WEBHOOK_PREVIOUS_SECRET, id))];
  }

  update(id: string, patch: Partial<SubscriptionInput>): Subscription | undefined {
    const set: Partial<typeof webhooks.$inferInsert> = {
      updatedAt: new Date(this.clock.now()).toISOString(),
    };
    if (patch.url !== undefined) set.url = patch.url;
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.events !== undefined) set.events = JSON.stringify(patch.events);
    if (patch.enabled !== undefined) {
      set.enabled = patch.enabled;
      if (patch.enabled) set.disabledReason = null;
    }
    const res = this.db.update(webhooks).set(set).where(eq(webhooks.id, id)).run();
    return res.changes > 0 ? this.get(id) : undefined;
  }

  delete(id: string): boolean {
    return this.db.delete(webhooks).where(eq(webhooks.id, id)).run().changes > 0;
  }

  /** A new secret; the current one keeps signing for `graceSeconds` (an older previous one is dropped). */
  rotate(
    id: string,
    graceSeconds: number,
  ): { id: string; secret: string; previousSecretExpiresAt: string } | undefined {
    const row = this.db.select().from(webhooks).where(eq(webhooks.id, id)).get();
    if (!row) return undefined;
    const secret = generateSecret(this.random);
    const now = this.clock.now();
    const expires = now + graceSeconds * 1000;
    this.db
      .update(webhooks)
      .set({
        secret: this.box.seal(secret, secretContext(WEBHOOK_SECRET, id)),
        // Sealed again: a value opens only in the column it was sealed for.
        previousSecret: this.box.seal(
          this.box.open(row.secret, secretContext(WEBHOOK_SECRET, id)),
          secretContext(WEBHOOK_PREVIOUS_SECRET, id),
        ),
        previousSecretExpiresAt: expires,
        updatedAt: new Date(now).toISOString(),
      })
      .where(eq(webhooks.id, id))
      .run();
    return { id, secret, previousSecretExpiresAt: new Date(expires).toISOString() };
  }

  disable(id: string, reason: string): void {
    this.db
      .update(webhooks)
      .set({ enabled: false, disabledReason: reason, updatedAt: new Date(this.clock.now()).toISOString() })
      .where(eq(webhooks.id, id))
      .run();
  }
}

function toSubscription(row: typeof webhooks.$inferSelect): Subscription {
  const expires = row.previousSecret ? row.previousSecretExpiresAt : null;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as string[],
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    previousSecretExpiresAt: expires === null ? null : new Date(expires).toISOString(),
  };
}
