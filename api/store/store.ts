// Owns every write: one synchronous SQLite transaction stores the objects, runs the compiler, bumps
// the revision and records the compiled change set, or nothing happens at all.
import { and, eq, gt, lte } from "drizzle-orm";
import type { OpenedDatabase } from "../../db/client.ts";
import { allocations, endpoints, meta, namespaces, networkPolicies, revisions } from "../../db/schema.ts";
import type { MapSizes } from "../../wire/entries.ts";
import type { AllocationChange } from "../policy/allocator.ts";
import { type Change, type ChangeSet, EngineError, PolicyEngine } from "../policy/compiler/engine.ts";
import type { Endpoint, Namespace, NetworkPolicy } from "../policy/model.ts";
import { StoreError } from "./errors.ts";

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
  /** Called after each commit (outside the transaction), e.g. to notify the sync hub. */
  onCommit?: (result: CommitResult) => void;
}

const REVISION = "revision";
const HIGH_WATER = (kind: string) => `high_water.${kind}`;

export class Store {
  engine: PolicyEngine;
  private readonly now: () => Date;
  private cachedRevision: number | undefined;

  constructor(
    readonly database: OpenedDatabase,
    private readonly opts: StoreOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
    this.engine = this.loadEngine();
  }

  get db() {
    return this.database.db;
  }

  /** The current revision (kept in memory: only commit() changes it, after its transaction). */
  revision(): number {
    this.cachedRevision ??= this.db.select().from(meta).where(eq(meta.key, REVISION)).get()?.value ?? 0;
    return this.cachedRevision;
  }

  /** Applies the writes as one revision. Throws StoreError (4xx) for anything the caller can fix. */
  commit(writes: ObjectWrite[]): CommitResult {
    try {
      const result = this.db.transaction((tx) => {
        const at = this.now().toISOString();
        const revision = this.revision() + 1;
        const changes: Change[] = [];
        const written: WriteSummary[] = [];
        for (const w of writes)
          this.writeOne(tx as unknown as typeof this.db, w, revision, at, changes, written);
        const started = performance.now();
        const applied = this.engine.apply(changes);
        const compileMs = performance.now() - started;
        this.persistAllocations(tx as unknown as typeof this.db, applied.allocations);
        tx.insert(revisions)
          .values({
            revision,
            createdAt: at,
            summary: JSON.stringify(written),
            changes: JSON.stringify(applied.changes),
          })
          .run();
        setMeta(tx as unknown as typeof this.db, REVISION, revision);
        return { revision, written, changes: applied.changes, compileMs };
      });
      this.cachedRevision = result.revision;
      const retention = this.opts.logRetention ?? 10_000;
      if (result.revision > retention && result.revision % 64 === 0)
        this.compact(result.revision - retention);
      this.opts.onCommit?.(result);
      return result;
    } catch (err) {
      // The transaction rolled back; the engine may hold part of the change: rebuild it from the store.
      this.engine = this.loadEngine();
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
    db: typeof this.db,
    w: ObjectWrite,
    revision: number,
    at: string,
    changes: Change[],
    written: WriteSummary[],
  ) {
    switch (w.kind) {
      case "namespace":
        return w.op === "upsert"
          ? this.upsertNamespace(db, w.value, revision, at, changes, written)
          : this.deleteNamespace(db, w.name, changes, written);
      case "endpoint":
        return w.op === "upsert"
          ? this.upsertEndpoint(db, w.value, revision, at, changes, written)
          : this.deleteEndpoint(db, w.namespace, w.name, changes, written);
      case "policy":
        return w.op === "upsert"
          ? this.upsertPolicy(db, w.value, w.submitted, revision, at, changes, written)
          : this.deletePolicy(db, w.namespace, w.name, changes, written);
    }
  }

  private upsertNamespace(
    db: typeof this.db,
    ns: Namespace,
    revision: number,
    at: string,
    changes: Change[],
    written: WriteSummary[],
  ) {
    const existing = db
      .select({ name: namespaces.name })
      .from(namespaces)
      .where(eq(namespaces.name, ns.name))
      .get();
    const spec = JSON.stringify(ns);
    if (existing)
      db.update(namespaces).set({ spec, revision, updatedAt: at }).where(eq(namespaces.name, ns.name)).run();
    else db.insert(namespaces).values({ name: ns.name, spec, revision, createdAt: at, updatedAt: at }).run();
    changes.push({ kind: "namespace", op: "upsert", value: ns });
    written.push({ kind: "namespace", op: existing ? "updated" : "created", name: ns.name });
  }

  private deleteNamespace(db: typeof this.db, name: string, changes: Change[], written: WriteSummary[]) {
    const existing = db
      .select({ name: namespaces.name })
      .from(namespaces)
      .where(eq(namespaces.name, name))
      .get();
    if (!existing) throw StoreError.notFound("namespace", name);
    // As in Kubernetes, deleting a namespace deletes what it holds.
    for (const row of db.select().from(networkPolicies).where(eq(networkPolicies.namespace, name)).all()) {
      this.deletePolicy(db, name, row.name, changes, written);
    }
    for (const row of db.select().from(endpoints).where(eq(endpoints.namespace, name)).all()) {
      this.deleteEndpoint(db, name, row.name, changes, written);
    }
    db.delete(namespaces).where(eq(namespaces.name, name)).run();
    changes.push({ kind: "namespace", op: "delete", name });
    written.push({ kind: "namespace", op: "deleted", name });
  }

  private upsertEndpoint(
    db: typeof this.db,
    ep: Endpoint,
    revision: number,
    at: string,
    changes: Change[],
    written: WriteSummary[],
  ) {
    this.requireNamespace(db, ep.namespace);
    const where = and(eq(endpoints.namespace, ep.namespace), eq(endpoints.name, ep.name));
    const existing = db.select({ id: endpoints.id }).from(endpoints).where(where).get();
    const spec = JSON.stringify(ep);
    let id: number;
    if (existing) {
      db.update(endpoints).set({ spec, revision, updatedAt: at }).where(where).run();
      id = existing.id;
    } else {
      id = Number(
        db
          .insert(endpoints)
          .values({ namespace: ep.namespace, name: ep.name, spec, revision, createdAt: at, updatedAt: at })
          .run().lastInsertRowid,
      );
    }
    changes.push({ kind: "endpoint", op: "upsert", id, value: ep });
    written.push({
      kind: "endpoint",
      op: existing ? "updated" : "created",
      namespace: ep.namespace,
      name: ep.name,
    });
  }

  private deleteEndpoint(
    db: typeof this.db,
    ns: string,
    name: string,
    changes: Change[],
    written: WriteSummary[],
  ) {
    const res = db
      .delete(endpoints)
      .where(and(eq(endpoints.namespace, ns), eq(endpoints.name, name)))
      .run();
    if (res.changes === 0) throw StoreError.notFound("endpoint", `${ns}/${name}`);
    changes.push({ kind: "endpoint", op: "delete", namespace: ns, name });
    written.push({ kind: "endpoint", op: "deleted", namespace: ns, name });
  }

  private upsertPolicy(
    db: typeof this.db,
    policy: NetworkPolicy,
    submitted: unknown,
    revision: number,
    at: string,
    changes: Change[],
    written: WriteSummary[],
  ) {
    this.requireNamespace(db, policy.namespace);
    const where = and(eq(networkPolicies.namespace, policy.namespace), eq(networkPolicies.name, policy.name));
    const existing = db.select({ id: networkPolicies.id }).from(networkPolicies).where(where).get();
    const values = {
      spec: JSON.stringify(policy),
      submitted: JSON.stringify(submitted),
      revision,
      updatedAt: at,
    };
    let id: number;
    if (existing) {
      db.update(networkPolicies).set(values).where(where).run();
      id = existing.id;
    } else {
      const row = { ...values, namespace: policy.namespace, name: policy.name, createdAt: at };
      id = Number(db.insert(networkPolicies).values(row).run().lastInsertRowid);
    }
    changes.push({ kind: "policy", op: "upsert", id, value: policy });
    written.push({
      kind: "policy",
      op: existing ? "updated" : "created",
      namespace: policy.namespace,
      name: policy.name,
    });
  }

  private deletePolicy(
    db: typeof this.db,
    ns: string,
    name: string,
    changes: Change[],
    written: WriteSummary[],
  ) {
    const res = db
      .delete(networkPolicies)
      .where(and(eq(networkPolicies.namespace, ns), eq(networkPolicies.name, name)))
      .run();
    if (res.changes === 0) throw StoreError.notFound("networkpolicy", `${ns}/${name}`);
    changes.push({ kind: "policy", op: "delete", namespace: ns, name });
    written.push({ kind: "policy", op: "deleted", namespace: ns, name });
  }

  private requireNamespace(db: typeof this.db, name: string): void {
    if (!db.select({ name: namespaces.name }).from(namespaces).where(eq(namespaces.name, name)).get()) {
      throw StoreError.notFound("namespace", name);
    }
  }

  private persistAllocations(db: typeof this.db, changes: AllocationChange[], engine = this.engine): void {
    for (const c of changes) {
      const where = and(eq(allocations.kind, c.kind), eq(allocations.key, c.key));
      if (c.id === null) db.delete(allocations).where(where).run();
      else
        db.insert(allocations)
          .values({ kind: c.kind, key: c.key, id: c.id })
          .onConflictDoUpdate({ target: [allocations.kind, allocations.key], set: { id: c.id } })
          .run();
    }
    if (changes.length === 0) return;
    for (const [kind, value] of Object.entries(engine.highWater())) setMeta(db, HIGH_WATER(kind), value);
  }

  /** Builds the compiler from the stored objects, with the stored ids, and drops unused ids. */
  private loadEngine(): PolicyEngine {
    const db = this.db;
    const highWater = Object.fromEntries(
      ["identity", "prefix", "set"].map((k) => [
        k,
        db
          .select()
          .from(meta)
          .where(eq(meta.key, HIGH_WATER(k)))
          .get()?.value ?? 0,
      ]),
    );
    const engine = new PolicyEngine({
      mapSizes: this.opts.mapSizes,
      allocations: db.select().from(allocations).all(),
      highWater,
    });
    const changes: Change[] = [
      ...db
        .select()
        .from(namespaces)
        .all()
        .map((r): Change => ({ kind: "namespace", op: "upsert", value: JSON.parse(r.spec) })),
      ...db
        .select()
        .from(endpoints)
        .all()
        .map((r): Change => ({ kind: "endpoint", op: "upsert", id: r.id, value: JSON.parse(r.spec) })),
      ...db
        .select()
        .from(networkPolicies)
        .all()
        .map((r): Change => ({ kind: "policy", op: "upsert", id: r.id, value: JSON.parse(r.spec) })),
    ];
    engine.apply(changes);
    const purged = engine.purgeUnusedAllocations();
    if (purged.length > 0)
      db.transaction((tx) => this.persistAllocations(tx as unknown as typeof db, purged, engine));
    return engine;
  }
}

function setMeta(db: OpenedDatabase["db"], key: string, value: number): void {
  db.insert(meta).values({ key, value }).onConflictDoUpdate({ target: meta.key, set: { value } }).run();
}
