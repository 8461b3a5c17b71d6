// Owns the write path's SQL: prepared once per connection, run inside the store's transaction.
// (Reads and rare writes go through drizzle; this is the hot path of every revision.)
import type Database from "better-sqlite3";
import type { AllocationChange } from "../policy/allocator.ts";

type Kind = "namespace" | "endpoint" | "policy";

/** One object's row as a revision writes it. */
export interface RowWrite {
  name: string;
  /** The object as JSON. */
  spec: string;
  revision: number;
  /** The commit's time (ISO 8601): created_at of a new row, updated_at of every written one. */
  at: string;
}

export interface NamespacedRowWrite extends RowWrite {
  namespace: string;
}

export interface PolicyRowWrite extends NamespacedRowWrite {
  /** The policy as submitted, as JSON. */
  submitted: string;
}

export interface Upserted {
  id: number;
  created: boolean;
}

export class RowWriter {
  private readonly s;

  constructor(sqlite: Database.Database) {
    const p = (sql: string) => sqlite.prepare(sql);
    this.s = {
      nsExists: p("SELECT 1 FROM namespaces WHERE name = ?").pluck(),
      nsInsert: p(
        "INSERT INTO namespaces (name, spec, revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
      ),
      nsUpdate: p("UPDATE namespaces SET spec = ?, revision = ?, updated_at = ? WHERE name = ?"),
      nsDelete: p("DELETE FROM namespaces WHERE name = ?"),
      epId: p("SELECT id FROM endpoints WHERE namespace = ? AND name = ?").pluck(),
      epInsert: p(
        "INSERT INTO endpoints (namespace, name, spec, revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      epUpdate: p("UPDATE endpoints SET spec = ?, revision = ?, updated_at = ? WHERE id = ?"),
      epDelete: p("DELETE FROM endpoints WHERE namespace = ? AND name = ?"),
      epNames: p("SELECT name FROM endpoints WHERE namespace = ?").pluck(),
      npId: p("SELECT id FROM network_policies WHERE namespace = ? AND name = ?").pluck(),
      npInsert: p(
        "INSERT INTO network_policies (namespace, name, submitted, spec, revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ),
      npUpdate: p(
        "UPDATE network_policies SET submitted = ?, spec = ?, revision = ?, updated_at = ? WHERE id = ?",
      ),
      npDelete: p("DELETE FROM network_policies WHERE namespace = ? AND name = ?"),
      npNames: p("SELECT name FROM network_policies WHERE namespace = ?").pluck(),
      cnpId: p("SELECT id FROM cluster_network_policies WHERE name = ?").pluck(),
      cnpInsert: p(
        "INSERT INTO cluster_network_policies (name, submitted, spec, revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      cnpUpdate: p(
        "UPDATE cluster_network_policies SET submitted = ?, spec = ?, revision = ?, updated_at = ? WHERE id = ?",
      ),
      cnpDelete: p("DELETE FROM cluster_network_policies WHERE name = ?"),
      allocInsert: p(
        "INSERT INTO allocations (kind, key, id) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET id = excluded.id",
      ),
      allocDelete: p("DELETE FROM allocations WHERE kind = ? AND key = ?"),
      revisionInsert: p("INSERT INTO revisions (revision, created_at, summary, changes) VALUES (?, ?, ?, ?)"),
      metaSet: p(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ),
    };
  }

  namespaceExists(name: string): boolean {
    return this.s.nsExists.get(name) !== undefined;
  }

  /** Inserts or updates a namespace; true when it was created. */
  upsertNamespace({ name, spec, revision, at }: RowWrite): boolean {
    if (this.namespaceExists(name)) {
      this.s.nsUpdate.run(spec, revision, at, name);
      return false;
    }
    this.s.nsInsert.run(name, spec, revision, at, at);
    return true;
  }

  deleteNamespace(name: string): void {
    this.s.nsDelete.run(name);
  }

  /** Inserts or updates an endpoint; returns its id and whether it was created. */
  upsertEndpoint({ namespace, name, spec, revision, at }: NamespacedRowWrite): Upserted {
    return upsertById(
      this.s.epId.get(namespace, name) as number | undefined,
      (id) => this.s.epUpdate.run(spec, revision, at, id),
      () => this.s.epInsert.run(namespace, name, spec, revision, at, at),
    );
  }

  /** Inserts or updates a policy; returns its id and whether it was created. */
  upsertPolicy({ namespace, name, submitted, spec, revision, at }: PolicyRowWrite): Upserted {
    return upsertById(
      this.s.npId.get(namespace, name) as number | undefined,
      (id) => this.s.npUpdate.run(submitted, spec, revision, at, id),
      () => this.s.npInsert.run(namespace, name, submitted, spec, revision, at, at),
    );
  }

  /** Inserts or updates a ClusterNetworkPolicy; returns its id and whether it was created. */
  upsertClusterPolicy({ name, submitted, spec, revision, at }: RowWrite & { submitted: string }): Upserted {
    return upsertById(
      this.s.cnpId.get(name) as number | undefined,
      (id) => this.s.cnpUpdate.run(submitted, spec, revision, at, id),
      () => this.s.cnpInsert.run(name, submitted, spec, revision, at, at),
    );
  }

  /** Deletes a ClusterNetworkPolicy; false when there was none. */
  deleteClusterPolicy(name: string): boolean {
    return this.s.cnpDelete.run(name).changes > 0;
  }

  /** Deletes an endpoint or policy; false when there was none. */
  delete(kind: Exclude<Kind, "namespace">, ns: string, name: string): boolean {
    return (kind === "endpoint" ? this.s.epDelete : this.s.npDelete).run(ns, name).changes > 0;
  }

  /** Names of the endpoints or policies in a namespace. */
  namesIn(kind: Exclude<Kind, "namespace">, ns: string): string[] {
    return (kind === "endpoint" ? this.s.epNames : this.s.npNames).all(ns) as string[];
  }

  allocations(changes: AllocationChange[]): void {
    for (const c of changes) {
      if (c.id === null) this.s.allocDelete.run(c.kind, c.key);
      else this.s.allocInsert.run(c.kind, c.key, c.id);
    }
  }

  /** A revision's log row; `changes` as change-log.ts encodes it (JSON text, or a deflated blob). */
  revision(revision: number, at: string, summary: string, changes: string | Buffer): void {
    this.s.revisionInsert.run(revision, at, summary, changes);
  }

  meta(key: string, value: number): void {
    this.s.metaSet.run(key, value);
  }
}

/** Updates the row `id` names, or inserts one when there is none. */
function upsertById(
  id: number | undefined,
  update: (id: number) => unknown,
  insert: () => Database.RunResult,
): Upserted {
  if (id !== undefined) {
    update(id);
    return { id, created: false };
  }
  return { id: Number(insert().lastInsertRowid), created: true };
}
