// Owns the webhook module's wiring: the repositories, the queue and worker, and the three ways
// events enter the queue (a commit's own transaction, node events, revision enforcement).

import { randomBytes } from "node:crypto";
import type { Registry } from "prom-client";
import type { OpenedDatabase } from "../../db/client.ts";
import { realClock, type TimeSource } from "../../lib/clock.ts";
import type { Log } from "../../lib/log.ts";
import { ApiError } from "../http/errors.ts";
import type { CommitOrigin } from "../store/origin.ts";
import type { CommitResult } from "../store/store.ts";
import { ReceiverRepository } from "./inbound/receivers.repository.ts";
import { createWebhookMetrics, type WebhookMetrics } from "./metrics.ts";
import { DestinationPolicy, type Resolve, systemResolve } from "./outbound/destination.ts";
import { type EventDraft, eventsOfCommit } from "./outbound/events.ts";
import { DeliveryQueue } from "./outbound/queue.ts";
import { SubscriptionRepository } from "./outbound/subscriptions.repository.ts";
import { DeliveryWorker, type WorkerOptions } from "./outbound/worker.ts";
import { sealStoredSecrets } from "./sealed-secrets.ts";
import { processSecretBox, type SecretBox } from "./secret-box.ts";

export interface WebhookOptions {
  /** Networks (CIDRs) deliveries may reach besides public addresses, e.g. ["10.0.0.0/8"]. */
  allowNetworks?: string[];
  /** Host to addresses (injected for tests). */
  resolve?: Resolve;
  /** The time (injected for tests). */
  clock?: TimeSource;
  /** [0, 1) for retry jitter (injected for tests). */
  random?: () => number;
  /** Random bytes for ids and secrets. */
  randomBytes?: (n: number) => Buffer;
  /**
   * Seals the secrets stored in the database (the server passes the key it loaded beside the
   * database or from PALISADE_SECRET_KEY; default: a key that lives as long as the process).
   */
  secretBox?: SecretBox;
  /** Start the delivery loop at once (default true); tests may drive `worker.tick()` instead. */
  startWorker?: boolean;
  /** Largest inbound hook body (default 1 MiB). */
  maxHookBodyBytes?: number;
  /** How far a Standard Webhooks timestamp may be from now (default 300 s). */
  toleranceSeconds?: number;
  /** How long applied inbound message ids are remembered (default 24 h). */
  receiptRetentionMs?: number;
  /** How long finished deliveries stay in the log (default 30 days). */
  logRetentionMs?: number;
  worker?: Pick<
    WorkerOptions,
    | "concurrency"
    | "perSubscription"
    | "timeoutMs"
    | "maxResponseBytes"
    | "retryDelaysMs"
    | "maxIdleMs"
    | "send"
  >;
}

/** A node event the sync hub reports. */
export interface NodeEvent {
  type: "node.enrolled" | "node.connected" | "node.disconnected" | "node.nack" | "revision.enforced";
  revision: number;
  data: Record<string, unknown>;
}

const ENFORCED_KEY = "enforced_revision";

export class Webhooks {
  readonly subscriptions: SubscriptionRepository;
  readonly receivers: ReceiverRepository;
  readonly queue: DeliveryQueue;
  readonly worker: DeliveryWorker;
  readonly policy: DestinationPolicy;
  readonly resolve: Resolve;
  readonly metrics: WebhookMetrics;
  readonly clock: TimeSource;
  readonly maxHookBodyBytes: number;
  readonly toleranceSeconds: number;
  private readonly receiptRetentionMs: number;
  private readonly logRetentionMs: number;
  private readonly s;
  private lastPrune = 0;

  constructor(
    private readonly database: OpenedDatabase,
    registry: Registry,
    private readonly log: Log,
    opts: WebhookOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
    const bytes = opts.randomBytes ?? randomBytes;
    this.policy = new DestinationPolicy(opts.allowNetworks ?? []);
    this.resolve = opts.resolve ?? systemResolve;
    const box = opts.secretBox ?? processSecretBox();
    // Before anything reads a secret: a missing key stops the start here, with the key's id.
    const sealed = sealStoredSecrets(database.sqlite, box);
    if (sealed.sealed + sealed.resealed > 0) {
      log({ level: "info", msg: "webhook secrets sealed with the current key", keyId: box.keyId, ...sealed });
    }
    this.subscriptions = new SubscriptionRepository(database.db, this.clock, bytes, box);
    this.receivers = new ReceiverRepository(database.db, database.sqlite, this.clock, bytes, box);
    this.queue = new DeliveryQueue(database.sqlite, bytes);
    this.metrics = createWebhookMetrics(registry, () => this.queue.depth());
    this.maxHookBodyBytes = opts.maxHookBodyBytes ?? 1 << 20;
    this.toleranceSeconds = opts.toleranceSeconds ?? 300;
    this.receiptRetentionMs = opts.receiptRetentionMs ?? 24 * 3_600_000;
    this.logRetentionMs = opts.logRetentionMs ?? 30 * 24 * 3_600_000;
    this.worker = new DeliveryWorker({
      ...opts.worker,
      queue: this.queue,
      subscriptions: this.subscriptions,
      policy: this.policy,
      resolve: this.resolve,
      metrics: this.metrics,
      log,
      clock: this.clock,
      random: opts.random,
    });
    const p = (sql: string) => database.sqlite.prepare(sql);
    this.s = {
      getState: p("SELECT value FROM webhook_state WHERE key = ?").pluck(),
      setState: p(
        "INSERT INTO webhook_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ),
    };
    if (opts.startWorker ?? true) this.worker.start();
  }

  /** The store's inTransaction hook: events of the commit, and the receipt of an inbound hook. */
  inTransaction(result: CommitResult, origin: CommitOrigin): void {
    this.queue.enqueue(eventsOfCommit(result, origin), this.clock.now());
    if (origin.kind !== "hook") return;
    const order = { generation: origin.generation, signedAt: origin.signedAt };
    if (!this.receivers.advance(origin.receiverId, order)) {
      // The route checked the order just before committing; this guards the record itself.
      throw new ApiError("hook.generation_stale", "a newer bundle was applied meanwhile; nothing applied");
    }
    if (origin.messageId !== null) {
      this.receivers.record(origin.receiverId, origin.messageId, {
        bodyHash: origin.bodyHash,
        status: 200,
        answer: JSON.stringify(hookAnswer(result)),
      });
    }
  }

  /** The store's onCommit hook (after the transaction): wake the worker, prune now and then. */
  afterCommit(): void {
    this.worker.kick();
    this.pruneNowAndThen();
  }

  /** Enqueues an event that no write caused (node events), in its own transaction. */
  emit(event: NodeEvent): void {
    try {
      const created = this.database.sqlite.transaction(() => {
        if (event.type === "revision.enforced") {
          // Once per revision, across restarts: only a revision past the last one announced.
          const last = (this.s.getState.get(ENFORCED_KEY) as number | undefined) ?? 0;
          if (event.revision <= last) return 0;
          this.s.setState.run(ENFORCED_KEY, event.revision);
          event.data = { ...event.data, previousRevision: last };
        }
        return this.queue.enqueue([event as EventDraft], this.clock.now());
      })();
      if (created > 0) this.worker.kick();
    } catch (err) {
      // Losing a node event must never break the sync hub.
      this.log({
        level: "error",
        msg: "could not enqueue a webhook event",
        type: event.type,
        error: String(err),
      });
    }
  }

  async close(): Promise<void> {
    await this.worker.stop();
  }

  private pruneNowAndThen(): void {
    const now = this.clock.now();
    if (now - this.lastPrune < 3_600_000) return;
    this.lastPrune = now;
    this.receivers.prune(this.receiptRetentionMs);
    this.queue.prune(now - this.logRetentionMs);
  }
}

/** What POST /v1/hooks answers when a bundle is applied (and a replay answers again). */
export function hookAnswer(result: { revision: number; written: unknown[] }) {
  return { revision: result.revision, applied: result.written };
}
