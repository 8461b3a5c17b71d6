// Owns turning snapshots and deltas into enforced revisions: validate the entries, apply only on
// top of the exact revision, persist the applied revision, and answer with ack or nack.
import type { NodeState } from "../../wire/entries.ts";
import type { DeltaMessage, SnapshotMessage } from "../../wire/sync.ts";
import type { Log } from "../clock.ts";
import { DatapathError } from "../datapath/datapath.ts";
import { applyDelta, emptyState } from "../reconcile/desired.ts";
import type { Reconciler } from "../reconcile/loop.ts";
import type { StateDir } from "../state-dir.ts";
import { parseNodeDelta, parseNodeState } from "./entries-schema.ts";

export type ApplyAnswer =
  | { type: "ack"; revision: number }
  | { type: "nack"; revision: number; error: { code: string; message: string } }
  /** The delta does not start at the applied revision: ignore it and say hello again. */
  | { type: "resync"; reason: string };

export interface RevisionApplierOptions {
  node: string;
  reconciler: Reconciler;
  stateDir: StateDir;
  log: Log;
  /** The revision the datapath already holds (a restart on pinned maps), or null. */
  appliedRevision: number | null;
  onApplied?: (revision: number) => void;
  /** Node-local additions to every desired state (the node's own addresses as `host`). */
  overlay?: (state: NodeState) => NodeState;
}

export class RevisionApplier {
  readonly #o: RevisionApplierOptions;
  #applied: number | null;
  #persisted: string | undefined;

  constructor(o: RevisionApplierOptions) {
    this.#o = o;
    this.#applied = o.appliedRevision;
  }

  get appliedRevision(): number | null {
    return this.#applied;
  }

  async snapshot(msg: SnapshotMessage): Promise<ApplyAnswer> {
    const state = parseNodeState(msg.state);
    if (!state.ok) return this.#nack(msg.revision, "agent.invalid_entry", state.message);
    return this.#apply("snapshot", msg.revision, () =>
      this.#o.reconciler.setDesired(this.#overlay(state.value)),
    );
  }

  async delta(msg: DeltaMessage): Promise<ApplyAnswer> {
    if (msg.fromRevision !== this.#applied) {
      const reason = `delta from revision ${msg.fromRevision} does not start at the applied revision ${this.#applied}`;
      this.#o.log({ level: "warn", msg: "ignoring delta", reason, toRevision: msg.toRevision });
      return { type: "resync", reason };
    }
    const delta = parseNodeDelta(msg.delta);
    if (!delta.ok) return this.#nack(msg.toRevision, "agent.invalid_entry", delta.message);
    const base = this.#o.reconciler.desired ?? emptyState();
    return this.#apply("delta", msg.toRevision, () =>
      this.#o.reconciler.setDesired(this.#overlay(applyDelta(base, delta.value))),
    );
  }

  #overlay(state: NodeState): NodeState {
    return this.#o.overlay ? this.#o.overlay(state) : state;
  }

  async #apply(kind: "snapshot" | "delta", revision: number, run: () => Promise<void>): Promise<ApplyAnswer> {
    try {
      await run();
    } catch (e) {
      const code = e instanceof DatapathError ? e.code : "agent.apply_failed";
      return this.#nack(revision, code, e instanceof Error ? e.message : String(e));
    }
    this.#applied = revision;
    this.persist();
    this.#o.log({ level: "info", msg: "applied revision", kind, revision });
    this.#o.onApplied?.(revision);
    return { type: "ack", revision };
  }

  /** Writes the applied revision and the endpoints still waiting for interfaces to the state dir. */
  persist(): void {
    if (this.#applied === null) return;
    const record = {
      node: this.#o.node,
      revision: this.#applied,
      pendingEndpoints: this.#o.reconciler.pendingEndpoints(),
    };
    // The same record twice in a row (apply, then the reconciler's change notice) is written once.
    const text = JSON.stringify(record);
    if (text === this.#persisted) return;
    this.#o.stateDir.writeApplied(record);
    this.#persisted = text;
  }

  #nack(revision: number, code: string, message: string): ApplyAnswer {
    this.#o.log({ level: "error", msg: "refusing revision", revision, code, error: message });
    return { type: "nack", revision, error: { code: code.slice(0, 100), message: message.slice(0, 4000) } };
  }
}
