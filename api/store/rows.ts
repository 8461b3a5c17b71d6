// Owns the write path's SQL: prepared once per connection, run inside the store's transaction.
// (Reads and rare writes go through drizzle; this is the hot path of every revision.)
import type Database from "better-sqlite3";
import type { AllocationChange } from "../policy/allocator.ts";

type Kind = "namespace" | "endpoint" | "policy";

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
  upsertNamespace(name: string, spec: string, revision: number, at: string): boolean {
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
  upsertEndpoint(
    ns: string,
    name: string,
    spec: string,
    revision: number,
    at: string,
  ): { id: number; created: boolean } {
    const id = this.s.epId.get(ns, name) as number | undefined;
    if (id !== undefined) {
      this.s.epUpdate.run(spec, revision, at, id);
      return { id, created: false };
    }
    return {
      id: Number(this.s.epInsert.run(ns, name, spec, revision, at, at).lastInsertRowid),
      created: true,
    };
  }

  /** Inserts or updates a policy; returns its id and whether it was created. */
  upsertPolicy(
    ns: string,
    name: string,
    submitted: string,
    spec: string,
    revision: number,
    at: string,
  ): { id: number; created: boolean } {
    const id = this.s.npId.get(ns, name) as number | undefined;
    if (id !== undefined) {
      this.s.npUpdate.run(submitted, spec, revision, at, id);
      return { id, created: false };
    }
    return {
      id: Number(this.s.npInsert.run(ns, name, submitted, spec, revision, at, at).lastInsertRowid),
      created: true,
    };
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

  revision(revision: number, at: string, summary: string, changes: string): void {
    this.s.revisionInsert.run(revision, at, summary, changes);
  }

  meta(key: string, value: number): void {
    this.s.metaSet.run(key, value);
  }
}
