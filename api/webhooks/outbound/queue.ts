// Owns the delivery queue in SQLite: enqueueing events (inside the caller's transaction), claiming
// due deliveries fairly across subscriptions, recording attempts, the delivery log and redelivery.
import { randomBytes } from "node:crypto";
import type Database from "better-sqlite3";
import { type EventDraft, type WebhookEvent, wants } from "./events.ts";

export type DeliveryStatus = "pending" | "in_flight" | "succeeded" | "failed";

export interface ClaimedDelivery {
  seq: number;
  id: string;
  webhookId: string;
  eventId: string;
  url: string;
  payload: string;
  attempts: number;
}

export interface AttemptRecord {
  attempt: number;
  startedAt: string;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  response: string | null;
  nextAttemptAt: string | null;
}

export interface DeliveryView {
  id: string;
  eventId: string;
  eventType: string;
  revision: number;
  status: DeliveryStatus;
  attemptCount: number;
  nextAttemptAt: string | null;
  createdAt: string;
  completedAt: string | null;
  attempts: AttemptRecord[];
}

export class DeliveryQueue {
  private readonly s;

  constructor(
    private readonly sqlite: Database.Database,
    private readonly random: (n: number) => Buffer = randomBytes,
  ) {
    const p = (sql: string) => sqlite.prepare(sql);
    this.s = {
      subscribers: p("SELECT id, events FROM webhooks WHERE enabled = 1"),
      eventInsert: p(
        "INSERT INTO webhook_events (id, type, revision, created_at, payload) VALUES (?, ?, ?, ?, ?)",
      ),
      deliveryInsert: p(
        "INSERT INTO webhook_deliveries (id, webhook_id, event_id, status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, 'pending', 0, ?, ?)",
      ),
      due: p(
        `SELECT d.seq, d.id, d.webhook_id AS webhookId, d.event_id AS eventId, w.url, e.payload, d.attempts
         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN webhook_events e ON e.id = d.event_id
         WHERE d.webhook_id = ? AND d.status = 'pending' AND d.next_attempt_at <= ?
         ORDER BY d.next_attempt_at, d.seq LIMIT ?`,
      ),
      enabled: p("SELECT id FROM webhooks WHERE enabled = 1 ORDER BY id").pluck(),
      nextDue: p(
        "SELECT next_attempt_at FROM webhook_deliveries WHERE webhook_id = ? AND status = 'pending' ORDER BY next_attempt_at LIMIT 1",
      ).pluck(),
      claim: p("UPDATE webhook_deliveries SET status = 'in_flight' WHERE seq = ? AND status = 'pending'"),
      finish: p(
        "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, completed_at = ? WHERE seq = ?",
      ),
      attemptInsert: p(
        `INSERT INTO webhook_attempts (delivery_seq, attempt, started_at, duration_ms, status_code, error, response, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      resetInFlight: p("UPDATE webhook_deliveries SET status = 'pending' WHERE status = 'in_flight'"),
      depth: p("SELECT COUNT(*) FROM webhook_deliveries WHERE status IN ('pending', 'in_flight')").pluck(),
      list: p(
        `SELECT d.seq, d.id, d.event_id AS eventId, e.type AS eventType, e.revision, d.status, d.attempts AS attemptCount,
                d.next_attempt_at AS nextAttemptAt, d.created_at AS createdAt, d.completed_at AS completedAt
         FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
         WHERE d.webhook_id = ? AND (? IS NULL OR d.status = ?) AND d.seq < ?
         ORDER BY d.seq DESC LIMIT ?`,
      ),
      one: p(
        `SELECT d.seq, d.id, d.event_id AS eventId, e.type AS eventType, e.revision, d.status, d.attempts AS attemptCount,
                d.next_attempt_at AS nextAttemptAt, d.created_at AS createdAt, d.completed_at AS completedAt
         FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE d.webhook_id = ? AND d.id = ?`,
      ),
      attempts: p(
        `SELECT attempt, started_at AS startedAt, duration_ms AS durationMs, status_code AS statusCode, error, response,
                next_attempt_at AS nextAttemptAt FROM webhook_attempts WHERE delivery_seq = ? ORDER BY attempt`,
      ),
      pruneDeliveries: p(
        "DELETE FROM webhook_deliveries WHERE status IN ('succeeded', 'failed') AND completed_at < ?",
      ),
      pruneEvents: p(
        "DELETE FROM webhook_events WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id)",
      ),
    };
  }

  private newId(prefix: string): string {
    return `${prefix}_${this.random(12).toString("base64url")}`;
  }

  /**
   * Stores each event once and a pending delivery per enabled subscription that wants it. Run it
   * inside the transaction of the change that caused the events. Returns the deliveries created.
   */
  enqueue(drafts: EventDraft[], now: number): number {
    if (drafts.length === 0) return 0;
    const subs = (this.s.subscribers.all() as { id: string; events: string }[]).map((r) => ({
      id: r.id,
      events: JSON.parse(r.events) as string[],
    }));
    if (subs.length === 0) return 0;
    const at = new Date(now).toISOString();
    let created = 0;
    for (const draft of drafts) {
      const targets = subs.filter((s) => wants(s.events, draft.type));
      if (targets.length === 0) continue;
      const event: WebhookEvent = { id: this.newId("evt"), timestamp: at, ...draft };
      const body = JSON.stringify({
        id: event.id,
        type: event.type,
        timestamp: event.timestamp,
        revision: event.revision,
        data: event.data,
      });
      this.s.eventInsert.run(event.id, event.type, event.revision, at, body);
      for (const t of targets) this.s.deliveryInsert.run(this.newId("dlv"), t.id, event.id, now, at);
      created += targets.length;
    }
    return created;
  }

  /** Claims up to `limit` due deliveries of one subscription (marks them in flight). */
  claim(webhookId: string, now: number, limit: number): ClaimedDelivery[] {
    if (limit <= 0) return [];
    const rows = this.s.due.all(webhookId, now, limit) as ClaimedDelivery[];
    return rows.filter((r) => this.s.claim.run(r.seq).changes > 0);
  }

  /** Ids of enabled subscriptions (few: each due lookup then walks one index range). */
  enabledSubscriptions(): string[] {
    return this.s.enabled.all() as string[];
  }

  /** Epoch ms of the earliest pending delivery of `webhookId`, or null. */
  nextDue(webhookId: string): number | null {
    return (this.s.nextDue.get(webhookId) as number | undefined) ?? null;
  }

  /** Records one attempt and the delivery's new state, in one transaction. */
  finish(
    d: { seq: number },
    attempt: Omit<AttemptRecord, "nextAttemptAt"> & { nextAttemptAt: number | null },
    status: DeliveryStatus,
  ): void {
    this.sqlite.transaction(() => {
      this.s.attemptInsert.run(
        d.seq,
        attempt.attempt,
        attempt.startedAt,
        attempt.durationMs,
        attempt.statusCode,
        attempt.error,
        attempt.response,
        attempt.nextAttemptAt,
      );
      const done = status === "succeeded" || status === "failed";
      this.s.finish.run(
        status,
        attempt.attempt,
        attempt.nextAttemptAt,
        done ? new Date(Date.parse(attempt.startedAt) + attempt.durationMs).toISOString() : null,
        d.seq,
      );
    })();
  }

  /** Puts deliveries a stopped process left in flight back in the queue (they are due at once). */
  resetInFlight(): number {
    return this.s.resetInFlight.run().changes;
  }

  /** Deliveries pending or in flight. */
  depth(): number {
    return this.s.depth.get() as number;
  }

  list(
    webhookId: string,
    opts: { status?: DeliveryStatus; limit: number; before?: number },
  ): (DeliveryView & { seq: number })[] {
    const status = opts.status ?? null;
    const rows = this.s.list.all(
      webhookId,
      status,
      status,
      opts.before ?? Number.MAX_SAFE_INTEGER,
      opts.limit,
    ) as (Omit<DeliveryView, "attempts" | "nextAttemptAt"> & { seq: number; nextAttemptAt: number | null })[];
    return rows.map((r) => this.view(r));
  }

  get(webhookId: string, deliveryId: string): (DeliveryView & { seq: number }) | undefined {
    const row = this.s.one.get(webhookId, deliveryId) as
      | (Omit<DeliveryView, "attempts" | "nextAttemptAt"> & { seq: number; nextAttemptAt: number | null })
      | undefined;
    return row ? this.view(row) : undefined;
  }

  /** A new pending delivery of the same event (same webhook-id), due at once. */
  redeliver(webhookId: string, eventId: string, now: number): string {
    const id = this.newId("dlv");
    this.s.deliveryInsert.run(id, webhookId, eventId, now, new Date(now).toISOString());
    return id;
  }

  /** Drops finished deliveries (and events no delivery refers to) completed before `before`. */
  prune(before: number): number {
    const at = new Date(before).toISOString();
    return this.sqlite.transaction(() => {
      const n = this.s.pruneDeliveries.run(at).changes;
      this.s.pruneEvents.run(at);
      return n;
    })();
  }

  private view(
    r: Omit<DeliveryView, "attempts" | "nextAttemptAt"> & { seq: number; nextAttemptAt: number | null },
  ): DeliveryView & { seq: number } {
    const attempts = (
      this.s.attempts.all(r.seq) as (Omit<AttemptRecord, "nextAttemptAt"> & {
        nextAttemptAt: number | null;
      })[]
    ).map((a) => ({
      ...a,
      nextAttemptAt: a.nextAttemptAt === null ? null : new Date(a.nextAttemptAt).toISOString(),
    }));
    return {
      ...r,
      nextAttemptAt:
        r.status === "pending" && r.nextAttemptAt !== null ? new Date(r.nextAttemptAt).toISOString() : null,
      attempts,
    };
  }
}
