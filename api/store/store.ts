// Owns every write: one synchronous SQLite transaction stores the objects, runs the compiler, bumps
// the revision and records the compiled change set, or nothing happens at all.

import { eq, gt, lte } from "drizzle-orm";
import type { OpenedDatabase } from "../../db/client.ts";
import { meta, revisions } from "../../db/schema.ts";
import { isoTime, realClock, type TimeSource } from "../../lib/clock.ts";
import type { MapSizes } from "../../wire/entries.ts";
import type { AllocationChange } from "../policy/allocator.ts";
import {
  type ApplyResult,
  type ChangeSet,
  EngineError,
  Journal,
  type PolicyEngine,
} from "../policy/compiler/engine.ts";
import type { Change, ObjectWrite } from "../policy/compiler/object-change.ts";
import type { Endpoint, NetworkPolicy } from "../policy/model.ts";
import { StoreError } from "./errors.ts";
import { GroupCommit } from "./group-commit.ts";
import { highWaterKey, loadEngine, REVISION_KEY } from "./load.ts";
import type { CommitOrigin } from "./origin.ts";
import { type NamespacedRowWrite, RowWriter } from "./rows.ts";

export interface WriteSummary {
  kind: ObjectWrite["kind"];
  op: "created" | "updated" | "deleted";
  namespace?: string;
  name: string;
}

/** One commit in progress: its revision and time, and what its writes produced so far. */
interface Batch {
  revision: number;
  at: string;
  /** For the compiler. */
  changes: Change[];
  /** For the revision log and the caller. */
  written: WriteSummary[];
}

export interface CommitResult {
  revision: number;
  written: WriteSummary[];
  changes: ChangeSet;
  compileMs: number;
}

/** One write of a group: its objects and the route that made it. */
export interface CommitItem {
  writes: ObjectWrite[];
  origin: CommitOrigin;
}

export type CommitOutcome = { ok: true; result: CommitResult } | { ok: false; error: unknown };

/** An unexpected (non-refusal) compiler error: the engine's state can no longer be trusted. */
class EngineBroken extends Error {
  constructor(cause: unknown) {
    super("compiler error", { cause });
  }
}

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
  /** Called after each commit (outside the transaction), e.g. to notify the sync hub. */
  onCommit?: (result: CommitResult) => void;
}

export class Store {
  engine: PolicyEngine;
  private readonly clock: TimeSource;
  private readonly rows: RowWriter;
  private cachedRevision: number | undefined;
  private readonly group: GroupCommit;

  constructor(
    readonly database: OpenedDatabase,
    private readonly opts: StoreOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.rows = new RowWriter(database.sqlite);
    this.group = new GroupCommit(this, opts.maxGroup);
    this.engine = this.load();
  }

  get db() {
    return this.database.db;
  }

  /** The current revision (kept in memory: only commit() changes it, after its transaction). */
  revision(): number {
    this.cachedRevision ??= this.db.select().from(meta).where(eq(meta.key, REVISION_KEY)).get()?.value ?? 0;
    return this.cachedRevision;
  }

  /**
   * Applies the writes as one revision; `origin` says which route made it (for the inTransaction
   * hook). Throws StoreError (4xx) for anything the caller can fix.
   */
  commit(writes: ObjectWrite[], { origin }: { origin: CommitOrigin }): CommitResult {
    const [outcome] = this.commitMany([{ writes, origin }]);
    if (!outcome!.ok) throw outcome!.error;
    return outcome!.result;
  }

  /**
   * The same as commit(), batched with the writes submitted alongside it into one SQLite
   * transaction (one fsync); answered once that transaction is durable. A refused write fails alone.
   */
  submit(writes: ObjectWrite[], { origin }: { origin: CommitOrigin }): Promise<CommitResult> {
    return this.group.submit({ writes, origin });
  }

  /**
   * Commits each item as its own revision, in order, inside one SQLite transaction: each item runs
   * in a savepoint, so one the store or compiler refuses is rolled back (rows and engine) and fails
   * alone while the others commit. Outcomes are in the order of the items.
   */
  commitMany(items: CommitItem[]): CommitOutcome[] {
    // Undo records of each committed item's engine changes, kept until the transaction commits.
    const journals: Journal[] = [];
    const outcomes: CommitOutcome[] = [];
    let revision = this.revision();
    let engineBroken = false;
    try {
      this.database.sqlite.transaction(() => {
        for (const item of items) {
          const journal = new Journal();
          try {
            // A nested better-sqlite3 transaction is a savepoint: it rolls back alone.
            const result = this.database.sqlite.transaction(() =>
              this.commitOne(item, revision + 1, journal),
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
        if (items.length === 1) return [{ ok: false, error: err }];
        return items.map((item) => this.commitMany([item])[0]!);
      }
      for (const j of journals.reverse()) j.rollback();
      return items.map(() => ({ ok: false, error: err }));
    }
    for (const j of journals) j.discard();
    this.cachedRevision = revision;
    for (const o of outcomes) {
      if (!o.ok) continue;
      const retention = this.opts.logRetention ?? 10_000;
      if (o.result.revision > retention && o.result.revision % 64 === 0)
        this.compact(o.result.revision - retention);
      this.opts.onCommit?.(o.result);
    }
    return outcomes;
  }

  /** One item's revision, inside the transaction (and its savepoint). */
  private commitOne({ writes, origin }: CommitItem, revision: number, journal: Journal): CommitResult {
    const at = isoTime(this.clock);
    const changes: Change[] = [];
    const written: WriteSummary[] = [];
    const batch: Batch = { revision, at, changes, written };
    for (const w of writes) this.writeOne(w, batch);
    const started = performance.now();
    let applied: ApplyResult;
    try {
      applied = this.engine.apply(changes, { journal });
    } catch (err) {
      if (err instanceof EngineError) throw err;
      throw new EngineBroken(err);
    }
    const compileMs = performance.now() - started;
    this.persistAllocations(applied.allocations, this.engine);
    this.rows.revision(revision, at, JSON.stringify(written), JSON.stringify(applied.changes));
    this.rows.meta(REVISION_KEY, revision);
    const committed = { revision, written, changes: applied.changes, compileMs };
    this.opts.inTransaction?.(committed, origin);
    return committed;
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
    return rows.map((r) => ({ revision: r.revision, changes: JSON.parse(r.changes) as ChangeSet }));
  }

  /** Drops log rows at or below `revision`; nodes behind it get a snapshot instead of deltas. */
  compact(revision: number): number {
    return this.db.delete(revisions).where(lte(revisions.revision, revision)).run().changes;
  }

  private writeOne(w: ObjectWrite, b: Batch): void {
    if (w.kind === "endpoint") this.checkEndpointOwner(w);
    if (w.op === "delete") {
      if (w.kind === "namespace") this.deleteNamespace(w.name, b);
      else if (w.kind === "clusterpolicy") this.deleteClusterPolicy(w.name, b);
      else this.deleteOne(w.kind, w.namespace, w.name, b);
      return;
    }
    if (
      w.kind !== "namespace" &&
      w.kind !== "clusterpolicy" &&
      !this.rows.namespaceExists(w.value.namespace)
    ) {
      throw StoreError.notFound("namespace", w.value.namespace);
    }
    const { change, created } = this.upsertRow(w, b);
    record(b, change, created ? "created" : "updated");
  }

  /** Writes an upserted object's row; returns the change for the compiler (with the row's id). */
  private upsertRow(w: ObjectWrite & { op: "upsert" }, b: Batch): { change: Change; created: boolean } {
    switch (w.kind) {
      case "namespace": {
        const row = { name: w.value.name, spec: JSON.stringify(w.value), revision: b.revision, at: b.at };
        return { change: w, created: this.rows.upsertNamespace(row) };
      }
      case "endpoint": {
        const { id, created } = this.rows.upsertEndpoint(rowOf(w.value, b));
        return { change: { kind: "endpoint", op: "upsert", id, value: w.value }, created };
      }
      case "policy": {
        const row = { ...rowOf(w.value, b), submitted: JSON.stringify(w.submitted) };
        const { id, created } = this.rows.upsertPolicy(row);
        return { change: { kind: "policy", op: "upsert", id, value: w.value }, created };
      }
      case "clusterpolicy": {
        const { id, created } = this.rows.upsertClusterPolicy({
          name: w.value.name,
          spec: JSON.stringify(w.value),
          submitted: JSON.stringify(w.submitted),
          revision: b.revision,
          at: b.at,
        });
        return { change: { kind: "clusterpolicy", op: "upsert", id, value: w.value }, created };
      }
    }
  }

  /** An endpoint another writer manages is refused unless the write says `force`. */
  private checkEndpointOwner(w: ObjectWrite & { kind: "endpoint" }): void {
    const [namespace, name, writer] =
      w.op === "upsert"
        ? [w.value.namespace, w.value.name, w.value.managedBy]
        : [w.namespace, w.name, w.writer];
    const existing = this.engine.endpoints.get(`${namespace}/${name}`)?.endpoint;
    const key = `${namespace}/${name}`;
    // A delete for one container must not remove the endpoint a newer container of the same name
    // now holds: that would leave the new pod's interface without its programs.
    if (existing && w.op === "delete" && w.containerId !== undefined) {
      const holder = existing.workload?.containerId;
      if (holder !== w.containerId) {
        throw new StoreError(
          "endpoint.container_changed",
          `endpoint ${key} belongs to container ${holder ?? "(none)"}, not ${w.containerId}; left in place`,
          { details: { namespace, name, containerId: holder ?? null } },
        );
      }
    }
    if (!existing || w.force || existing.managedBy === writer) return;
    throw new StoreError(
      "endpoint.managed",
      existing.managedBy
        ? `endpoint ${key} is managed by ${existing.managedBy} (created through CNI); add ?force=true to write it anyway`
        : `endpoint ${key} exists and is not managed by ${writer}; it was written through the API`,
      { details: { namespace, name, managedBy: existing.managedBy ?? null, writer: writer ?? null } },
    );
  }

  private deleteNamespace(name: string, b: Batch): void {
    if (!this.rows.namespaceExists(name)) throw StoreError.notFound("namespace", name);
    // As in Kubernetes, deleting a namespace deletes what it holds.
    for (const p of this.rows.namesIn("policy", name)) this.deleteOne("policy", name, p, b);
    for (const e of this.rows.namesIn("endpoint", name)) this.deleteOne("endpoint", name, e, b);
    this.rows.deleteNamespace(name);
    record(b, { kind: "namespace", op: "delete", name }, "deleted");
  }

  private deleteOne(kind: "endpoint" | "policy", namespace: string, name: string, b: Batch): void {
    if (!this.rows.delete(kind, namespace, name)) {
      throw StoreError.notFound(kind === "policy" ? "networkpolicy" : "endpoint", `${namespace}/${name}`);
    }
    record(b, { kind, op: "delete", namespace, name }, "deleted");
  }

  private deleteClusterPolicy(name: string, b: Batch): void {
    if (!this.rows.deleteClusterPolicy(name)) throw StoreError.notFound("clusternetworkpolicy", name);
    record(b, { kind: "clusterpolicy", op: "delete", name }, "deleted");
  }

  private persistAllocations(changes: AllocationChange[], engine: PolicyEngine): void {
    if (changes.length === 0) return;
    this.rows.allocations(changes);
    for (const [kind, value] of Object.entries(engine.highWater())) this.rows.meta(highWaterKey(kind), value);
  }

  private load(): PolicyEngine {
    const { engine, purged } = loadEngine(this.db, this.opts.mapSizes);
    if (purged.length > 0) this.database.sqlite.transaction(() => this.persistAllocations(purged, engine))();
    return engine;
  }
}

function rowOf(value: Endpoint | NetworkPolicy, b: Batch): NamespacedRowWrite {
  const { namespace, name } = value;
  return { namespace, name, spec: JSON.stringify(value), revision: b.revision, at: b.at };
}

/** Adds a change for the compiler and its summary for the revision log. */
function record(b: Batch, change: Change, op: WriteSummary["op"]): void {
  b.changes.push(change);
  if (change.kind === "namespace" || change.kind === "clusterpolicy") {
    const name = change.op === "upsert" ? change.value.name : change.name;
    b.written.push({ kind: change.kind, op, name });
    return;
  }
  const { namespace, name } = change.op === "upsert" ? change.value : change;
  b.written.push({ kind: change.kind, op, namespace, name });
}
