// Owns inbound receivers (secret shown once, stored sealed to verify HMACs) and their receipts:
// the message ids already applied with the answer given, so a replay gets the same answer.

import { randomBytes } from "node:crypto";
import type Database from "better-sqlite3";
import { eq } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { webhookReceivers } from "../../../db/schema.ts";
import { realClock, type TimeSource } from "../../../lib/clock.ts";
import { RECEIVER_SECRET, secretContext } from "../sealed-secrets.ts";
import { processSecretBox, type SecretBox } from "../secret-box.ts";
import { generateGithubSecret, generateSecret } from "../signing.ts";
import type { IncomingOrder, ReceiverOrder } from "./generation.ts";

export type ReceiverKind = "standard" | "github";

export interface Receiver {
  id: string;
  kind: ReceiverKind;
  description: string;
  createdAt: string;
  /** The path to POST bundles to. */
  path: string;
}

export interface Receipt {
  bodyHash: string;
  status: number;
  answer: string;
}

export class ReceiverRepository {
  private readonly s;

  constructor(
    private readonly db: Db,
    sqlite: Database.Database,
    private readonly clock: TimeSource = realClock,
    private readonly random: (n: number) => Buffer = randomBytes,
    private readonly box: SecretBox = processSecretBox(),
  ) {
    this.s = {
      receipt: sqlite.prepare(
        "SELECT body_hash AS bodyHash, status, answer FROM webhook_receipts WHERE receiver_id = ? AND message_id = ?",
      ),
      insert: sqlite.prepare(
        "INSERT INTO webhook_receipts (receiver_id, message_id, body_hash, received_at, status, answer) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      prune: sqlite.prepare("DELETE FROM webhook_receipts WHERE received_at < ?"),
      order: sqlite.prepare("SELECT generation, signed_at AS signedAt FROM webhook_receivers WHERE id = ?"),
      // Moves the marks forward only: no row changes when the generation is not greater.
      advance: sqlite.prepare(
        `UPDATE webhook_receivers SET
           generation = coalesce(@generation, generation),
           signed_at = CASE WHEN @signedAt IS NULL THEN signed_at ELSE max(coalesce(signed_at, 0), @signedAt) END
         WHERE id = @id AND (@generation IS NULL OR generation IS NULL OR generation < @generation)`,
      ),
    };
  }

  create(kind: ReceiverKind, description: string): Receiver & { secret: string } {
    const id = `whr_${this.random(8).toString("hex")}`;
    const secret = kind === "github" ? generateGithubSecret(this.random) : generateSecret(this.random);
    const createdAt = new Date(this.clock.now()).toISOString();
    const sealed = this.box.seal(secret, secretContext(RECEIVER_SECRET, id));
    this.db.insert(webhookReceivers).values({ id, kind, description, secret: sealed, createdAt }).run();
    return { id, kind, description, createdAt, path: `/v1/hooks/${id}`, secret };
  }

  list(): Receiver[] {
    return this.db.select().from(webhookReceivers).all().map(toReceiver);
  }

  /** The receiver with its secret (for verification only; never answered). */
  withSecret(id: string): (Receiver & { secret: string }) | undefined {
    const row = this.db.select().from(webhookReceivers).where(eq(webhookReceivers.id, id)).get();
    if (!row) return undefined;
    return { ...toReceiver(row), secret: this.box.open(row.secret, secretContext(RECEIVER_SECRET, id)) };
  }

  delete(id: string): boolean {
    return this.db.delete(webhookReceivers).where(eq(webhookReceivers.id, id)).run().changes > 0;
  }

  receipt(receiverId: string, messageId: string): Receipt | undefined {
    return this.s.receipt.get(receiverId, messageId) as Receipt | undefined;
  }

  /** Records an applied message (run inside the commit's transaction; a duplicate id throws). */
  record(receiverId: string, messageId: string, receipt: Receipt): void {
    this.s.insert.run(
      receiverId,
      messageId,
      receipt.bodyHash,
      this.clock.now(),
      receipt.status,
      receipt.answer,
    );
  }

  /** What the receiver applied last (its generation and signed timestamp). */
  order(id: string): ReceiverOrder {
    return (this.s.order.get(id) as ReceiverOrder | undefined) ?? { generation: null, signedAt: null };
  }

  /**
   * Records an applied message's generation and timestamp as the receiver's newest (run inside
   * the commit's transaction); false when its generation is no longer greater (nothing written).
   */
  advance(id: string, incoming: IncomingOrder): boolean {
    return this.s.advance.run({ id, ...incoming }).changes > 0;
  }

  /** Forgets receipts older than `retentionMs`. */
  prune(retentionMs: number): number {
    return this.s.prune.run(this.clock.now() - retentionMs).changes;
  }
}

function toReceiver(row: typeof webhookReceivers.$inferSelect): Receiver {
  return {
    id: row.id,
    kind: row.kind,
    description: row.description,
    createdAt: row.createdAt,
    path: `/v1/hooks/${row.id}`,
  };
}
