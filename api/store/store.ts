// Owns every write: one SQLite transaction stores the objects, bumps the revision and records the
// compiled change set, with the compiler's changes to the engine, or nothing happens at all. Most
// writes commit at once, grouped (group-commit.ts); one whose compile outlasts its time budget is
// compiled in slices first (commitSliced), with readers of the engine held at the gate meanwhile.

import { eq, gt, lte } from "drizzle-orm";
import type { OpenedDatabase } from "../../db/client.ts";
import { meta, revisions } from "../../db/schema.ts";
import { isoTime, realClock, type TimeSource } from "../../lib/clock.ts";
import type { Log } from "../../lib/log.ts";
import type { MapSizes } from "../../wire/entries.ts";
import type { AllocationChange } from "../policy/allocator.ts";
import {
  type ApplyResult,
  type ChangeSet,
  EngineError,
  Journal,
  type PolicyEngine,
} from "../policy/compiler/engine.ts";
import type { ObjectWrite } from "../policy/compiler/object-change.ts";
import type { Steps } from "../policy/compiler/steps.ts";
import { decodeChanges, encodeLarge, encodeSmall, encodeSync, isLarge } from "./change-log.ts";
import { type CommitItem, isLong, resolveWrites, sameRows } from "./commit-item.ts";
import { StoreError } from "./errors.ts";
import { GroupCommit } from "./group-commit.ts";
import { highWaterKey, loadEngine, REVISION_KEY } from "./load.ts";
import { ObjectRows, type WriteSummary, type WrittenRows } from "./object-rows.ts";
import type { CommitOrigin } from "./origin.ts";
import { Pace } from "./pace.ts";
import { RowWriter } from "./rows.ts";
import { WriteGate } from "./write-gate.ts";

export type { CommitItem, WriteSummary };

export interface CommitResult {
  revision: number;
  written: WriteSummary[];
  changes: ChangeSet;
  compileMs: number;
}

export type CommitOutcome = { ok: true; result: CommitResult } | { ok: false; error: unknown };

/** What commitWithin did: the outcomes of the first items, and whether the next one overran. */
export interface GroupOutcome {
  outcomes: CommitOutcome[];
  /**
   * The item after the last outcome started but did not finish within the deadline: it was undone
   * (rows and engine) and must be committed in slices (commitSliced).
   */
  overran: boolean;
}

/** An unexpected (non-refusal) compiler error: the engine's state can no longer be trusted. */
class EngineBroken extends Error {
  constructor(cause: unknown) {
    super("compiler error", { cause });
  }
}

/** Thrown inside a write's savepoint when it ran past its deadline: the savepoint rolls back. */
const OVERRUN = new Error("write overran its time budget");
/** Thrown inside a dry run's transaction, to roll it back. */
const DRY_RUN = new Error("dry run");

/** Time slices of a sliced write (commitSliced), in ms. */
export const SLICE_MS = 20;

export interface StoreOptions {
  mapSizes?: MapSizes;
  /** The time each revision is stamped with. */
  clock?: TimeSource;
  /** Revisions the log keeps for delta catch-up (default 10,000); older ones are compacted away. */
  logRetention?: number;
  /**
   * Called inside each commit's transaction, after the revision is written: whatever it writes
   * (e.g. webhook events) commits or rolls back with the change itself. Throwing aborts the commit.
   */
  inTransaction?: (result: CommitResult, origin: CommitOrigin) => void;
  /**
   * Writes submit() puts in one transaction at most (default MAX_GROUP); 1 commits each alone, as
   * before group commit (the benchmarks' same-run baseline).
   */
  maxGroup?: number;
  /**
   * How long one group of writes may hold the event loop (default GROUP_BUDGET_MS), and the slices
   * of a write compiled in slices (default SLICE_MS); 0 and 0 slice every write at every step
   * (tests).
   */
  groupBudgetMs?: number;
  sliceMs?: number;
  /** Called after each commit (outside the transaction), e.g. to notify the sync hub. */
  onCommit?: (result: CommitResult) => void;
  /** Where a failure after a commit (which the write's answer does not report) is logged. */
  log?: Log;
}

export class Store {
  engine: PolicyEngine;
  /** Readers of the engine wait on it while a sliced write is paused half applied. */
  readonly gate = new WriteGate();
  private readonly clock: TimeSource;
  private readonly rows: RowWriter;
  private readonly objectRows: ObjectRows;
  private cachedRevision: number | undefined;
  private readonly group: GroupCommit;

  constructor(
    readonly database: OpenedDatabase,
    private readonly opts: StoreOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.rows = new RowWriter(database.sqlite);
    this.objectRows = new ObjectRows(this.rows, () => this.engine);
    this.group = new GroupCommit(this, opts.maxGroup, opts.groupBudgetMs);
    this.engine = this.load();
  }

  get db() {
    return this.database.db;
  }

  /** The current revision (kept in memory: only commits change it, after their transaction). */
  revision(): number {
    this.cachedRevision ??= this.db.select().from(meta).where(eq(meta.key, REVISION_KEY)).get()?.value ?? 0;
    return this.cachedRevision;
  }

  /**
   * Applies the writes as one revision at once, holding the event loop for the whole compile;
   * `origin` says which route made it (for the inTransaction hook). Throws StoreError (4xx) for
   * anything the caller can fix. Routes use submit(), which never holds the loop for long.
   */
  commit(writes: ObjectWrite[], { origin }: { origin: CommitOrigin }): CommitResult {
    const [outcome] = this.commitMany([{ writes, origin }]);
    if (!outcome!.ok) throw outcome!.error;
    return outcome!.result;
  }

  /**
   * The same as commit(), batched with the writes submitted alongside it into one SQLite
   * transaction (one fsync); answered once that transaction is durable. A refused write fails alone.
   * A write whose compile outlasts the group's time budget is committed alone, in slices that let
   * the event loop run between them (commitSliced): still one transaction and one revision.
   */
  submit(
    writes: ObjectWrite[] | (() => ObjectWrite[]),
    { origin }: { origin: CommitOrigin },
  ): Promise<CommitResult> {
    return this.group.submit({ writes, origin });
  }

  /** commitWithin with no deadline: every item, at once. */
  commitMany(items: CommitItem[]): CommitOutcome[] {
    return this.commitWithin(items, Number.POSITIVE_INFINITY).outcomes;
  }

  /**
   * Commits items, in order, each as its own revision, inside one SQLite transaction: each runs in
   * a savepoint, so one the store or compiler refuses is rolled back (rows and engine) and fails
   * alone while the others commit. Stops before an item once `deadline` (performance.now() time)
   * has passed; an item still compiling at the deadline is undone and reported as overran.
   */
  commitWithin(items: CommitItem[], deadline: number): GroupOutcome {
    if (this.gate.busy) throw new Error("store: a sliced write is in progress (use submit)");
    // Undo records of each committed item's engine changes, kept until the transaction commits.
    const journals: Journal[] = [];
    const outcomes: CommitOutcome[] = [];
    let revision = this.revision();
    let engineBroken = false;
    let overran = false;
    try {
      this.database.sqlite.transaction(() => {
        for (const item of items) {
          if (outcomes.length > 0 && performance.now() > deadline) return;
          // A write that will not fit is sliced from the start, not tried and undone.
          if (Number.isFinite(deadline) && isLong(item)) {
            overran = true;
            return;
          }
          const journal = new Journal();
          try {
            // A nested better-sqlite3 transaction is a savepoint: it rolls back alone.
            const result = this.database.sqlite.transaction(() =>
              this.commitOne(item, revision + 1, journal, deadline),
            )();
            revision = result.revision;
            journals.push(journal);
            outcomes.push({ ok: true, result });
          } catch (err) {
            if (err instanceof EngineBroken) {
              engineBroken = true;
              throw err.cause;
            }
            // A refusal (or a failure after the compile, e.g. in the hook): undone from the
            // journal in O(change), the items before it kept.
            journal.rollback();
            if (err === OVERRUN) {
              overran = true;
              return;
            }
            outcomes.push({
              ok: false,
              error: err instanceof EngineError ? StoreError.fromEngine(err) : err,
            });
          }
        }
      })();
    } catch (err) {
      // The whole transaction rolled back: after an unexpected compiler error (a bug) the engine's
      // state is suspect and is rebuilt from the store, and each item is retried alone so that
      // only the one that hit it fails; otherwise (e.g. an I/O error at COMMIT) nothing was
      // written and the engine is undone, newest first.
      if (engineBroken) {
        this.engine = this.load();
        if (items.length === 1) return { outcomes: [{ ok: false, error: err }], overran: false };
        return { outcomes: items.map((item) => this.commitMany([item])[0]!), overran: false };
      }
      for (const j of journals.reverse()) j.rollback();
      return { outcomes: items.map(() => ({ ok: false, error: err })), overran: false };
    }
    for (const j of journals) j.discard();
    this.cachedRevision = revision;
    this.committed(outcomes.flatMap((o) => (o.ok ? [o.result] : [])));
    return { outcomes, overran };
  }

  /**
   * Commits one item in slices of the event loop: its rows are planned (written and rolled back, for
   * their ids), the compiler runs in steps with the loop free between slices while every reader of
   * the engine waits (the gate), a large change set is serialized in steps and deflated off the
   * thread, and one last transaction writes the rows, the revision and the hook's records. A
   * refusal rolls the engine back from its journal; nothing is ever stored half.
   */
  async commitSliced(
    item: CommitItem,
    pace = new Pace(this.opts.sliceMs ?? SLICE_MS),
  ): Promise<CommitResult> {
    if (this.gate.busy) throw new Error("store: a sliced write is in progress");
    this.gate.pause();
    try {
      const writes = resolveWrites(item);
      const planned = this.dryRun(writes, this.revision() + 1, isoTime(this.clock));
      const journal = new Journal();
      let applied: ApplyResult;
      let compileMs = 0;
      let changes: string | Buffer;
      try {
        const steps = this.engine.applySteps(planned.changes);
        for (;;) {
          const started = performance.now();
          const r = this.runSteps(steps, journal, pace.deadline);
          compileMs += performance.now() - started;
          if (r.done) {
            applied = r.value;
            break;
          }
          await pace.pause();
        }
        changes = isLarge(applied.changes)
          ? await encodeLarge(applied.changes, () => pace.pause())
          : encodeSmall(applied.changes);
      } catch (err) {
        if (err instanceof EngineBroken) {
          this.engine = this.load();
          throw err.cause;
        }
        await this.rollBack(journal, pace);
        throw err instanceof EngineError ? StoreError.fromEngine(err) : err;
      }
      // Released allocations are deleted after the commit, so that the last transaction does not
      // hold the loop for them (a policy replacing 12,800 prefixes releases that many): until
      // then their rows name keys nothing uses, which a load purges if the process dies first.
      const { kept, released } = splitReleased(applied.allocations);
      // The last transaction is one step of tens of ms for a large write: it starts a turn.
      await pace.nextTurn();
      let result: CommitResult;
      try {
        result = this.database.sqlite.transaction(() => {
          const b = this.objectRows.write(writes, planned.revision, planned.at, { ownersChecked: true });
          if (!sameRows(b.changes, planned.changes)) {
            throw new Error("store: the rows of a sliced write changed while it compiled");
          }
          return this.finish(b, applied, changes, compileMs, item.origin, kept);
        })();
      } catch (err) {
        await this.rollBack(journal, pace);
        throw err;
      }
      // Committed: from here on nothing may fail the write (its answer is the revision).
      journal.discard();
      this.cachedRevision = result.revision;
      try {
        this.committed([result]);
        // Before any later write (the group waits for this): one may take a released key again.
        for (let i = 0; i < released.length; i += RELEASED_PER_TRANSACTION) {
          await pace.nextTurn();
          const chunk = released.slice(i, i + RELEASED_PER_TRANSACTION);
          this.database.sqlite.transaction(() => this.rows.allocations(chunk))();
        }
      } catch (err) {
        // Rows of released allocations left behind name keys nothing uses: a later write that
        // takes one again overwrites its row, and a load purges the rest.
        this.opts.log?.({
          level: "warn",
          msg: "after a sliced commit",
          revision: result.revision,
          error: String(err),
        });
      }
      return result;
    } finally {
      this.gate.resume();
    }
  }

  /** One item's revision, inside the transaction (and its savepoint). */
  private commitOne(item: CommitItem, revision: number, journal: Journal, deadline: number): CommitResult {
    const b = this.objectRows.write(resolveWrites(item), revision, isoTime(this.clock));
    const started = performance.now();
    const r = this.runSteps(this.engine.applySteps(b.changes), journal, deadline);
    if (!r.done) throw OVERRUN;
    const applied = r.value;
    const compileMs = performance.now() - started;
    // A large change set is serialized in steps: a write that makes one is committed in slices.
    if (Number.isFinite(deadline) && isLarge(applied.changes)) throw OVERRUN;
    return this.finish(b, applied, encodeSync(applied.changes), compileMs, item.origin);
  }

  /**
   * Runs compiler steps with the journal recording until they are done or `deadline` has passed
   * (checked between steps). A refusal (EngineError) is thrown as is; anything else is a bug.
   */
  private runSteps(
    steps: Steps<ApplyResult>,
    journal: Journal,
    deadline: number,
  ): IteratorResult<void, ApplyResult> {
    return journal.record(() => {
      for (;;) {
        let r: IteratorResult<void, ApplyResult>;
        try {
          r = steps.next();
        } catch (err) {
          if (err instanceof EngineError) throw err;
          throw new EngineBroken(err);
        }
        if (r.done || performance.now() > deadline) return r;
      }
    });
  }

  /** The rows a write will make and the compiler's changes (with row ids), without keeping them. */
  private dryRun(writes: ObjectWrite[], revision: number, at: string): WrittenRows {
    let planned: WrittenRows | undefined;
    try {
      this.database.sqlite.transaction(() => {
        planned = this.objectRows.write(writes, revision, at);
        throw DRY_RUN;
      })();
    } catch (err) {
      if (err !== DRY_RUN) throw err;
    }
    return planned!;
  }

  /**
   * The rest of a revision, after its rows and compile: allocations (all of them, or the ones
   * given), the log row, the hook.
   */
  private finish(
    b: WrittenRows,
    applied: ApplyResult,
    changes: string | Buffer,
    compileMs: number,
    origin: CommitOrigin,
    allocations = applied.allocations,
  ): CommitResult {
    // The high-water marks follow every allocation made, even one released again before the end.
    this.persistAllocations(allocations, this.engine, applied.allocations.length > 0);
    this.rows.revision(b.revision, b.at, JSON.stringify(b.written), changes);
    this.rows.meta(REVISION_KEY, b.revision);
    const committed = { revision: b.revision, written: b.written, changes: applied.changes, compileMs };
    this.opts.inTransaction?.(committed, origin);
    return committed;
  }

  /** After a transaction committed: log compaction, then each revision's onCommit, in order. */
  private committed(results: CommitResult[]): void {
    const retention = this.opts.logRetention ?? 10_000;
    for (const result of results) {
      if (result.revision > retention && result.revision % 64 === 0)
        this.compact(result.revision - retention);
      this.opts.onCommit?.(result);
    }
  }

  /** Change sets after `revision` up to now, or null when the log no longer holds them all. */
  changesSince(revision: number): { revision: number; changes: ChangeSet }[] | null {
    const current = this.revision();
    if (revision >= current) return [];
    const rows = this.db
      .select({ revision: revisions.revision, changes: revisions.changes })
      .from(revisions)
      .where(gt(revisions.revision, revision))
      .orderBy(revisions.revision)
      .all();
    if (rows.length !== current - revision) return null;
    return rows.map((r) => ({ revision: r.revision, changes: decodeChanges(r.changes) }));
  }

  /** Drops log rows at or below `revision`; nodes behind it get a snapshot instead of deltas. */
  compact(revision: number): number {
    return this.db.delete(revisions).where(lte(revisions.revision, revision)).run().changes;
  }

  private persistAllocations(
    changes: AllocationChange[],
    engine: PolicyEngine,
    highWater = changes.length > 0,
  ): void {
    this.rows.allocations(changes);
    if (!highWater) return;
    for (const [kind, value] of Object.entries(engine.highWater())) this.rows.meta(highWaterKey(kind), value);
  }

  /** Undoes a sliced write's engine changes, in slices too; if an undo fails, rebuilds the engine. */
  private async rollBack(journal: Journal, pace: Pace): Promise<void> {
    try {
      const steps = journal.rollbackSteps();
      while (!steps.next().done) await pace.pause();
    } catch {
      this.engine = this.load();
    }
  }

  private load(): PolicyEngine {
    const { engine, purged } = loadEngine(this.db, this.opts.mapSizes);
    if (purged.length > 0) this.database.sqlite.transaction(() => this.persistAllocations(purged, engine))();
    return engine;
  }
}

/** Released allocations a sliced write deletes per transaction, after its commit. */
const RELEASED_PER_TRANSACTION = 4_096;

/**
 * Allocation changes split into the ones each key ends with that keep an id, in order, and the
 * keys released for good (ids are never handed out twice, so only a key's last change counts).
 */
function splitReleased(changes: AllocationChange[]): {
  kept: AllocationChange[];
  released: AllocationChange[];
} {
  const last = new Map<string, AllocationChange>();
  for (const c of changes) last.set(`${c.kind}\u0000${c.key}`, c);
  const kept: AllocationChange[] = [];
  const released: AllocationChange[] = [];
  for (const c of last.values()) (c.id === null ? released : kept).push(c);
  return { kept, released };
}
