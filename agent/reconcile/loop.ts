// Owns applying desired state to the datapath: plan against what the datapath holds, apply, roll
// back to the last good state on failure, retry interfaces that do not exist yet, and resync from
// a full read-back on a period to repair drift. Every operation runs one at a time.

import type { Clock } from "../../lib/clock.ts";
import { realClock } from "../../lib/clock.ts";
import type { Log } from "../../lib/log.ts";
import type { EndpointEntry, NodeState } from "../../wire/entries.ts";
import { emptyNodeState } from "../../wire/map-delta.ts";
import type { AgentDatapath, DatapathState } from "../datapath/datapath.ts";
import { planReconcile, stepSize } from "./planner.ts";

export interface ReconcilerOptions {
  datapath: AgentDatapath;
  log: Log;
  clock?: Clock;
  /** Full read-back and repair period. */
  resyncMs?: number;
  /** How often interfaces that do not exist yet are tried again. */
  pendingRetryMs?: number;
  /** Called after every apply (duration in seconds, whether it changed anything). */
  onApply?: (seconds: number, ok: boolean) => void;
  /** Called when the pending interfaces or the attached count change (for status reports). */
  onChange?: () => void;
}

export interface ReconcileStats {
  ipcache: number;
  policies: number;
  endpoints: number;
  attached: number;
  pending: string[];
}

/** What the datapath holds once `desired` was applied, with the interfaces in `pending` missing. */
function expectedState(desired: NodeState, pending: ReadonlySet<string>): DatapathState {
  const endpoints = desired.endpoints.filter((e) => !pending.has(e.interface));
  return { ...desired, endpoints, attached: endpoints.map((e) => e.interface) };
}

export class Reconciler {
  readonly #dp: AgentDatapath;
  readonly #log: Log;
  readonly #clock: Clock;
  readonly #resyncMs: number;
  readonly #pendingRetryMs: number;
  readonly #onApply: (seconds: number, ok: boolean) => void;
  readonly #onChange: () => void;
  #desired: NodeState | undefined;
  #actual: DatapathState | undefined;
  #pending = new Set<string>();
  #queue: Promise<unknown> = Promise.resolve();
  #resyncTimer: unknown;
  #retryTimer: unknown;
  #stopped = false;
  lastError: string | null = null;

  constructor({
    datapath,
    log,
    clock = realClock,
    resyncMs = 60_000,
    pendingRetryMs = 1_000,
    onApply = () => {},
    onChange = () => {},
  }: ReconcilerOptions) {
    this.#dp = datapath;
    this.#log = log;
    this.#clock = clock;
    this.#resyncMs = resyncMs;
    this.#pendingRetryMs = pendingRetryMs;
    this.#onApply = onApply;
    this.#onChange = onChange;
  }

  /** The state being enforced (undefined until adopted or first set). */
  get desired(): NodeState | undefined {
    return this.#desired;
  }

  get pending(): string[] {
    return [...this.#pending].sort();
  }

  /** Desired endpoints whose interfaces do not exist yet (kept across restarts by the caller). */
  pendingEndpoints(): EndpointEntry[] {
    return (this.#desired?.endpoints ?? []).filter((e) => this.#pending.has(e.interface));
  }

  /** Whether `iface` carries its programs and its endpoint entry now. */
  enforced(iface: string): boolean {
    const a = this.#actual;
    return !!a && a.attached.includes(iface) && a.endpoints.some((e) => e.interface === iface);
  }

  stats(): ReconcileStats {
    const a = this.#actual;
    return {
      ipcache: a?.ipcache.length ?? 0,
      policies: a?.policies.length ?? 0,
      endpoints: a?.endpoints.length ?? 0,
      attached: a?.attached.length ?? 0,
      pending: this.pending,
    };
  }

  /**
   * Takes what the datapath holds as the state to keep enforcing (an agent restart: the pinned maps
   * are what it applied last), plus endpoints still waiting for their interfaces; nothing is flushed.
   */
  adopt(pendingEndpoints: EndpointEntry[] = []): Promise<void> {
    return this.#serial(async () => {
      const actual = await this.#dp.read();
      this.#actual = actual;
      const live = actual.endpoints.filter((e) => !e.interface.startsWith("#"));
      const names = new Set(live.map((e) => e.interface));
      const waiting = pendingEndpoints.filter((e) => !names.has(e.interface));
      this.#desired = {
        ipcache: actual.ipcache,
        policies: actual.policies,
        endpoints: [...live, ...waiting],
      };
      this.#pending = new Set(waiting.map((e) => e.interface));
      await this.#applyPlan(this.#desired, actual);
    });
  }

  /** Makes `next` the enforced state; on failure restores the last good state and throws. */
  setDesired(next: NodeState): Promise<void> {
    return this.#serial(async () => {
      const started = performance.now();
      const actual = this.#actual ?? (await this.#dp.read());
      // Nothing applied yet: the last good state is what the datapath held before this apply.
      const previous = this.#desired ?? stateOf(actual);
      try {
        await this.#applyPlan(next, actual);
        this.#desired = next;
        this.lastError = null;
        this.#onApply((performance.now() - started) / 1000, true);
      } catch (e) {
        this.#onApply((performance.now() - started) / 1000, false);
        this.lastError = e instanceof Error ? e.message : String(e);
        this.#log({
          level: "error",
          msg: "apply failed; restoring the last good state",
          error: this.lastError,
        });
        await this.#restore(previous);
        throw e;
      }
    });
  }

  /** Reads everything back and repairs any difference from the desired state; returns the steps applied. */
  resync(): Promise<number> {
    return this.#serial(async () => {
      const actual = await this.#dp.read();
      const desired = this.#desired ?? emptyNodeState();
      const steps = await this.#applyPlan(desired, actual);
      if (steps > 0) this.#log({ level: "warn", msg: "resync repaired drift", steps });
      return steps;
    });
  }

  /** Starts the periodic resync. */
  start(): void {
    this.#stopped = false;
    const tick = () => {
      this.#resyncTimer = this.#clock.setTimeout(() => {
        this.resync()
          .catch((e) => this.#log({ level: "error", msg: "resync failed", error: String(e) }))
          .finally(() => !this.#stopped && tick());
      }, this.#resyncMs);
    };
    tick();
  }

  /** Stops timers and waits for the operation in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#resyncTimer);
    this.#clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    await this.#queue.catch(() => {});
  }

  async #restore(previous: NodeState): Promise<void> {
    try {
      const actual = await this.#dp.read();
      this.#actual = actual;
      await this.#applyPlan(previous, actual);
    } catch (e) {
      this.#actual = undefined; // unknown: the next operation reads back
      this.#log({ level: "error", msg: "restoring the last good state failed", error: String(e) });
    }
  }

  /** Plans `desired` against `actual`, applies, and records the result; returns the step count. */
  async #applyPlan(desired: NodeState, actual: DatapathState): Promise<number> {
    const plan = planReconcile(desired, actual);
    const attachedBefore = this.#actual?.attached.length;
    this.#actual = undefined; // unknown until the apply completes
    const report = plan.length > 0 ? await this.#dp.apply(plan) : { pending: [] };
    const pending = new Set(report.pending);
    const expected = expectedState(desired, pending);
    const changed =
      pending.size !== this.#pending.size ||
      [...pending].some((p) => !this.#pending.has(p)) ||
      attachedBefore !== expected.attached.length;
    this.#pending = pending;
    this.#actual = expected;
    this.#scheduleRetry();
    if (changed) this.#onChange();
    return plan.reduce((n, s) => n + stepSize(s), 0);
  }

  #scheduleRetry(): void {
    if (this.#pending.size === 0 || this.#retryTimer !== undefined || this.#stopped) return;
    this.#retryTimer = this.#clock.setTimeout(() => {
      this.#retryTimer = undefined;
      this.#serial(async () => {
        if (this.#desired && this.#actual) await this.#applyPlan(this.#desired, this.#actual);
      }).catch((e) =>
        this.#log({ level: "error", msg: "retrying pending interfaces failed", error: String(e) }),
      );
    }, this.#pendingRetryMs);
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => {});
    return run;
  }
}

function stateOf(s: DatapathState): NodeState {
  return {
    ipcache: s.ipcache,
    policies: s.policies,
    endpoints: s.endpoints.filter((e) => !e.interface.startsWith("#")),
  };
}
