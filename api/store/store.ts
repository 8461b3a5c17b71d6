// Owns every write: one synchronous SQLite transaction stores the objects, runs the compiler, bumps
// the revision and records the compiled change set, or nothing happens at all.
import { eq, gt, lte } from "drizzle-orm";
import type { OpenedDatabase } from "../../db/client.ts";
import { meta, revisions } from "../../db/schema.ts";
import type { MapSizes } from "../../wire/entries.ts";
import type { AllocationChange } from "../policy/allocator.ts";
import { type Change, type ChangeSet, EngineError, type PolicyEngine } from "../policy/compiler/engine.ts";
import type { Endpoint, Namespace, NetworkPolicy } from "../policy/model.ts";
import { StoreError } from "./errors.ts";
import { highWaterKey, loadEngine, REVISION_KEY } from "./load.ts";
import { RowWriter } from "./rows.ts";

export type ObjectWrite =
  | { kind: "namespace"; op: "upsert"; value: Namespace }
  | { kind: "namespace"; op: "delete"; name: string }
  | { kind: "endpoint"; op: "upsert"; value: Endpoint }
  | { kind: "endpoint"; op: "delete"; namespace: string; name: string }
  | { kind: "policy"; op: "upsert"; value: NetworkPolicy; submitted: unknown }
  | { kind: "policy"; op: "delete"; namespace: string; name: string };

export interface WriteSummary {
  kind: ObjectWrite["kind"];
  op: "created" | "updated" | "deleted";
  namespace?: string;
  name: string;
}

export interface CommitResult {
  revision: number;
  written: WriteSummary[];
  changes: ChangeSet;
  compileMs: number;
}

export interface StoreOptions {
  mapSizes?: MapSizes;
  now?: () => Date;
  /** Revisions the log keeps for delta catch-up (default 10,000); older ones are compacted away. */
  logRetention?: number;
  /**
   * Called inside each commit's transaction, after the revision is written: whatever it writes
   * (e.g. webhook events) commits or rolls back with the change itself. Throwing aborts the commit.
   */
  inTransaction?: (result: CommitResult) => void;
  /** Called after each commit (outside the transaction), e.g. to notify the sync hub. */
  onCommit?: (result: CommitResult) => void;
}

export class Store {
  engine: PolicyEngine;
  private readonly now: () => Date;
  private readonly rows: RowWriter;
  private cachedRevision: number | undefined;

  constructor(
    readonly database: OpenedDatabase,
    private readonly opts: StoreOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
    this.rows = new RowWriter(database.sqlite);
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

  /** Applies the writes as one revision. Throws StoreError (4xx) for anything the caller can fix. */
  commit(writes: ObjectWrite[]): CommitResult {
    try {
      const result = this.database.sqlite.transaction(() => {
        const at = this.now().toISOString();
        const revision = this.revision() + 1;
        const changes: Change[] = [];
        const written: WriteSummary[] = [];
        for (const w of writes) this.writeOne(w, revision, at, changes, written);
        const started = performance.now();
        const applied = this.engine.apply(changes);
        const compileMs = performance.now() - started;
        this.persistAllocations(applied.allocations, this.engine);
        this.rows.revision(revision, at, JSON.stringify(written), JSON.stringify(applied.changes));
        this.rows.meta(REVISION_KEY, revision);
        const committed = { revision, written, changes: applied.changes, compileMs };
        this.opts.inTransaction?.(committed);
        return committed;
      })();
      this.cachedRevision = result.revision;
      const retention = this.opts.logRetention ?? 10_000;
      if (result.revision > retention && result.revision % 64 === 0)
        this.compact(result.revision - retention);
      this.opts.onCommit?.(result);
      return result;
    } catch (err) {
      // The transaction rolled back; the engine may hold part of the change: rebuild it from the store.
      this.engine = this.load();
      if (err instanceof EngineError) throw StoreError.fromEngine(err);
      throw err;
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
    return rows.map((r) => ({ revision: r.revision, changes: JSON.parse(r.changes) as ChangeSet }));
  }

  /** Drops log rows at or below `revision`; nodes behind it get a snapshot instead of deltas. */
  compact(revision: number): number {
    return this.db.delete(revisions).where(lte(revisions.revision, revision)).run().changes;
  }

  private writeOne(
    w: ObjectWrite,
    revision: number,
    at: string,
    changes: Change[],
    written: WriteSummary[],
  ): void {
    const rows = this.rows;
    if (w.op === "upsert" && w.kind !== "namespace" && !rows.namespaceExists(w.value.namespace)) {
      throw StoreError.notFound("namespace", w.value.namespace);
    }
    switch (w.kind) {
      case "namespace": {
        if (w.op === "delete") return this.deleteNamespace(w.name, changes, written);
        const created = rows.upsertNamespace(w.value.name, JSON.stringify(w.value), revision, at);
        changes.push({ kind: "namespace", op: "upsert", value: w.value });
        written.push({ kind: "namespace", op: created ? "created" : "updated", name: w.value.name });
        return;
      }
      case "endpoint": {
        if (w.op === "delete") return this.deleteOne("endpoint", w.namespace, w.name, changes, written);
        const ep = w.value;
        const { id, created } = rows.upsertEndpoint(ep.namespace, ep.name, JSON.stringify(ep), revision, at);
        changes.push({ kind: "endpoint", op: "upsert", id, value: ep });
        written.push({
          kind: "endpoint",
          op: created ? "created" : "updated",
          namespace: ep.namespace,
          name: ep.name,
        });
        return;
      }
      case "policy": {
        if (w.op === "delete") return this.deleteOne("policy", w.namespace, w.name, changes, written);
        const p = w.value;
        const spec = JSON.stringify(p);
        const { id, created } = rows.upsertPolicy(
          p.namespace,
          p.name,
          JSON.stringify(w.submitted),
          spec,
          revision,
          at,
        );
        changes.push({ kind: "policy", op: "upsert", id, value: p });
        written.push({
          kind: "policy",
          op: created ? "created" : "updated",
          namespace: p.namespace,
          name: p.name,
        });
        return;
      }
    }
  }

  private deleteNamespace(name: string, changes: Change[], written: WriteSummary[]): void {
    if (!this.rows.namespaceExists(name)) throw StoreError.notFound("namespace", name);
    // As in Kubernetes, deleting a namespace deletes what it holds.
    for (const p of this.rows.namesIn("policy", name)) this.deleteOne("policy", name, p, changes, written);
    for (const e of this.rows.namesIn("endpoint", name))
      this.deleteOne("endpoint", name, e, changes, written);
    this.rows.deleteNamespace(name);
    changes.push({ kind: "namespace", op: "delete", name });
    written.push({ kind: "namespace", op: "deleted", name });
  }

  private deleteOne(
    kind: "endpoint" | "policy",
    ns: string,
    name: string,
    changes: Change[],
    written: WriteSummary[],
  ): void {
    if (!this.rows.delete(kind, ns, name)) {
      throw StoreError.notFound(kind === "policy" ? "networkpolicy" : "endpoint", `${ns}/${name}`);
    }
    changes.push({ kind, op: "delete", namespace: ns, name });
    written.push({ kind, op: "deleted", namespace: ns, name });
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
