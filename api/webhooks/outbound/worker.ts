// Owns the delivery loop: on the event loop, it claims due deliveries (bounded in total and per
// subscription, so a slow receiver holds at most its own slots), sends them, and records the
// outcome: success, a retry on the schedule, failure after the last attempt, or 410 -> disabled.

import { realClock, type TimeSource } from "../../../lib/clock.ts";
import type { Log } from "../../../lib/log.ts";
import type { WebhookMetrics } from "../metrics.ts";
import { type SendOptions, type SendResult, sendEvent } from "./deliver.ts";
import type { DestinationPolicy, Resolve } from "./destination.ts";
import type { ClaimedDelivery, DeliveryQueue } from "./queue.ts";
import { nextAttemptAt, RETRY_DELAYS_MS } from "./schedule.ts";
import type { SubscriptionRepository } from "./subscriptions.repository.ts";

export interface WorkerOptions {
  queue: DeliveryQueue;
  subscriptions: SubscriptionRepository;
  policy: DestinationPolicy;
  resolve: Resolve;
  metrics: WebhookMetrics;
  log: Log;
  /** The time (injected for tests). */
  clock?: TimeSource;
  /** A number in [0, 1) for jitter (injected for tests). */
  random?: () => number;
  /** Attempts running at once, all subscriptions together (default 16). */
  concurrency?: number;
  /** Attempts running at once for one subscription (default 4). */
  perSubscription?: number;
  /** Per attempt, connect to end of answer (default 10 s). */
  timeoutMs?: number;
  /** Bytes of an answer read (default 64 KiB); the rest is dropped. */
  maxResponseBytes?: number;
  retryDelaysMs?: readonly number[];
  /** Longest sleep between looks at the queue (default 30 s). */
  maxIdleMs?: number;
  /** The transport (tests may replace it). */
  send?: (opts: SendOptions) => Promise<SendResult>;
}

export class DeliveryWorker {
  private readonly clock: TimeSource;
  private readonly random: () => number;
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly perSub = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private scheduled = false;

  constructor(private readonly opts: WorkerOptions) {
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
  }

  /** Starts the loop; deliveries a previous process left in flight are due again. */
  start(): void {
    if (this.running) return;
    const reset = this.opts.queue.resetInFlight();
    if (reset > 0)
      this.opts.log({ level: "info", msg: "webhook deliveries resumed after restart", count: reset });
    this.running = true;
    this.kick();
  }

  /** Stops claiming new deliveries and waits for the running attempts. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.idle();
  }

  /** Looks at the queue soon (after the current commit); called whenever events are enqueued. */
  kick(): void {
    if (!this.running || this.scheduled) return;
    this.scheduled = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.scheduled = false;
      this.loop();
    }, 0);
  }

  /** Waits until no attempt is running. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight.values());
  }

  /** One pass: starts every due delivery there is room for; resolves when those attempts end. */
  async tick(): Promise<void> {
    await Promise.all(this.claimAndStart());
  }

  private loop(): void {
    if (!this.running) return;
    this.claimAndStart();
    this.sleep();
  }

  private sleep(): void {
    if (!this.running || this.scheduled) return;
    const dues = this.opts.queue
      .enabledSubscriptions()
      .map((id) => this.opts.queue.nextDue(id))
      .filter((t): t is number => t !== null);
    const next = dues.length > 0 ? Math.min(...dues) : null;
    const maxIdle = this.opts.maxIdleMs ?? 30_000;
    const full = this.inFlight.size >= (this.opts.concurrency ?? 16);
    // When full, a finishing attempt kicks the loop; otherwise wake when the next one is due.
    const delay = full || next === null ? maxIdle : Math.min(maxIdle, Math.max(0, next - this.clock.now()));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.loop(), delay);
    this.timer.unref();
  }

  private claimAndStart(): Promise<void>[] {
    const started: Promise<void>[] = [];
    const total = this.opts.concurrency ?? 16;
    const cap = this.opts.perSubscription ?? 4;
    const now = this.clock.now();
    // Round-robin over subscriptions so one with a deep backlog cannot take every slot.
    let subs = this.opts.queue.enabledSubscriptions();
    while (subs.length > 0 && this.inFlight.size < total) {
      const still: string[] = [];
      for (const sub of subs) {
        if (this.inFlight.size >= total) break;
        if ((this.perSub.get(sub) ?? 0) >= cap) continue;
        const [d] = this.opts.queue.claim(sub, now, 1);
        if (!d) continue;
        started.push(this.begin(d));
        still.push(sub);
      }
      subs = still;
    }
    return started;
  }

  private begin(d: ClaimedDelivery): Promise<void> {
    this.perSub.set(d.webhookId, (this.perSub.get(d.webhookId) ?? 0) + 1);
    this.opts.metrics.inFlight.inc();
    const p = this.attempt(d)
      .catch((err) =>
        this.opts.log({ level: "error", msg: "webhook attempt failed", delivery: d.id, error: String(err) }),
      )
      .finally(() => {
        this.inFlight.delete(d.seq);
        this.perSub.set(d.webhookId, (this.perSub.get(d.webhookId) ?? 1) - 1);
        this.opts.metrics.inFlight.dec();
        if (this.running) this.kick();
      });
    this.inFlight.set(d.seq, p);
    return p;
  }

  private async attempt(d: ClaimedDelivery): Promise<void> {
    const { opts } = this;
    const startedAt = this.clock.now();
    const t0 = performance.now();
    const result = await (opts.send ?? sendEvent)({
      url: d.url,
      id: d.eventId,
      body: d.payload,
      secrets: opts.subscriptions.signingSecrets(d.webhookId),
      timestamp: Math.floor(startedAt / 1000),
      timeoutMs: opts.timeoutMs ?? 10_000,
      maxResponseBytes: opts.maxResponseBytes ?? 64 * 1024,
      policy: opts.policy,
      resolve: opts.resolve,
    });
    const durationMs = Math.round(performance.now() - t0);
    opts.metrics.deliverySeconds.observe(durationMs / 1000);
    const attempt = d.attempts + 1;
    const ok =
      result.error === null &&
      result.statusCode !== null &&
      result.statusCode >= 200 &&
      result.statusCode < 300;
    const gone = result.statusCode === 410;
    const next =
      ok || gone
        ? null
        : nextAttemptAt(attempt, this.clock.now(), this.random, opts.retryDelaysMs ?? RETRY_DELAYS_MS);
    const record = {
      attempt,
      startedAt: new Date(startedAt).toISOString(),
      durationMs,
      statusCode: result.statusCode,
      error: result.error,
      response: result.response === null ? null : result.response.slice(0, 1024),
      nextAttemptAt: next,
    };
    try {
      opts.queue.finish(d, record, ok ? "succeeded" : next === null ? "failed" : "pending");
    } catch (err) {
      // The subscription was deleted while the attempt ran: nothing left to record.
      opts.log({
        level: "info",
        msg: "webhook delivery outlived its subscription",
        delivery: d.id,
        error: String(err),
      });
      return;
    }
    const refused = result.refused === true;
    const label = ok ? "success" : gone ? "gone" : refused ? "refused" : next === null ? "failed" : "retry";
    opts.metrics.deliveries.inc({ result: label });
    if (gone) {
      opts.subscriptions.disable(d.webhookId, `the receiver answered 410 Gone on ${record.startedAt}`);
      opts.log({ level: "warn", msg: "webhook disabled: receiver answered 410 Gone", webhook: d.webhookId });
    } else if (!ok && next === null) {
      opts.log({
        level: "warn",
        msg: "webhook delivery failed for good",
        webhook: d.webhookId,
        delivery: d.id,
      });
    }
  }
}
