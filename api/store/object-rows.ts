// Owns turning object writes into rows: each write is checked against what is stored (the owner
// rule, existence, the namespace), written, and described for the compiler (with its row id) and
// for the revision log. Runs inside the store's transaction; the engine is only read.

import type { PolicyEngine } from "../policy/compiler/engine.ts";
import type { Change, ObjectWrite } from "../policy/compiler/object-change.ts";
import type { Endpoint, NetworkPolicy } from "../policy/model.ts";
import { StoreError } from "./errors.ts";
import type { NamespacedRowWrite, RowWriter } from "./rows.ts";

export interface WriteSummary {
  kind: ObjectWrite["kind"];
  op: "created" | "updated" | "deleted";
  namespace?: string;
  name: string;
}

/** What one commit's writes produced: its revision and time, the compiler's changes, the summary. */
export interface WrittenRows {
  revision: number;
  at: string;
  /** For the compiler. */
  changes: Change[];
  /** For the revision log and the caller. */
  written: WriteSummary[];
}

export class ObjectRows {
  constructor(
    private readonly rows: RowWriter,
    private readonly engine: () => PolicyEngine,
  ) {}

  /**
   * Writes every object's row, in order; throws StoreError for what the caller can fix.
   * `ownersChecked`: the endpoint owner rule was checked already, against the engine as it was
   * before these writes (a sliced write's rows are written again after its compile).
   */
  write(
    writes: readonly ObjectWrite[],
    revision: number,
    at: string,
    { ownersChecked = false } = {},
  ): WrittenRows {
    const b: WrittenRows = { revision, at, changes: [], written: [] };
    for (const w of writes) this.writeOne(w, b, ownersChecked);
    return b;
  }

  private writeOne(w: ObjectWrite, b: WrittenRows, ownersChecked: boolean): void {
    if (w.kind === "endpoint" && !ownersChecked) this.checkEndpointOwner(w);
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
  private upsertRow(w: ObjectWrite & { op: "upsert" }, b: WrittenRows): { change: Change; created: boolean } {
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
    const existing = this.engine().endpoints.get(`${namespace}/${name}`)?.endpoint;
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

  private deleteNamespace(name: string, b: WrittenRows): void {
    if (!this.rows.namespaceExists(name)) throw StoreError.notFound("namespace", name);
    // As in Kubernetes, deleting a namespace deletes what it holds.
    for (const p of this.rows.namesIn("policy", name)) this.deleteOne("policy", name, p, b);
    for (const e of this.rows.namesIn("endpoint", name)) this.deleteOne("endpoint", name, e, b);
    this.rows.deleteNamespace(name);
    record(b, { kind: "namespace", op: "delete", name }, "deleted");
  }

  private deleteOne(kind: "endpoint" | "policy", namespace: string, name: string, b: WrittenRows): void {
    if (!this.rows.delete(kind, namespace, name)) {
      throw StoreError.notFound(kind === "policy" ? "networkpolicy" : "endpoint", `${namespace}/${name}`);
    }
    record(b, { kind, op: "delete", namespace, name }, "deleted");
  }

  private deleteClusterPolicy(name: string, b: WrittenRows): void {
    if (!this.rows.deleteClusterPolicy(name)) throw StoreError.notFound("clusternetworkpolicy", name);
    record(b, { kind: "clusterpolicy", op: "delete", name }, "deleted");
  }
}

function rowOf(value: Endpoint | NetworkPolicy, b: WrittenRows): NamespacedRowWrite {
  const { namespace, name } = value;
  return { namespace, name, spec: JSON.stringify(value), revision: b.revision, at: b.at };
}

/** Adds a change for the compiler and its summary for the revision log. */
function record(b: WrittenRows, change: Change, op: WriteSummary["op"]): void {
  b.changes.push(change);
  if (change.kind === "namespace" || change.kind === "clusterpolicy") {
    const name = change.op === "upsert" ? change.value.name : change.name;
    b.written.push({ kind: change.kind, op, name });
    return;
  }
  const { namespace, name } = change.op === "upsert" ? change.value : change;
  b.written.push({ kind: change.kind, op, namespace, name });
}
