// Owns turning snapshots and deltas into enforced revisions: apply only on top of the exact
// revision, refuse revisions whose entries are invalid, persist the applied revision, and answer
// with ack or nack.

import type { Log } from "../../lib/log.ts";
import type { NodeState } from "../../wire/entries.ts";
import type { NamesDelta } from "../../wire/flow-names.ts";
import { applyNodeDelta, emptyNodeState } from "../../wire/map-delta.ts";
import type { DeltaMessage, NamesMessage, RevisionHeader, SnapshotMessage } from "../../wire/sync.ts";
import { DatapathError } from "../datapath/datapath.ts";
import type { Reconciler } from "../reconcile/loop.ts";
import type { StateDir } from "../state-dir.ts";

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
  /** The name catalog change of an applied revision (flows); called only after the apply succeeded. */
  onNames?: (names: NamesDelta) => void;
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
    const answer = await this.#apply("snapshot", msg.revision, () =>
      this.#o.reconciler.setDesired(this.#overlay(msg.state)),
    );
    if (answer.type === "ack" && msg.names) this.#o.onNames?.({ replace: msg.names });
    return answer;
  }

  /** The catalog of the revision already applied (a hello at the current revision); others are ignored. */
  names(msg: NamesMessage): void {
    if (msg.revision === this.#applied) this.#o.onNames?.({ replace: msg.names });
  }

  async delta(msg: DeltaMessage): Promise<ApplyAnswer> {
    const misplaced = this.#misplaced(msg);
    if (misplaced) return misplaced;
    const base = this.#o.reconciler.desired ?? emptyNodeState();
    const answer = await this.#apply("delta", msg.toRevision, () =>
      this.#o.reconciler.setDesired(this.#overlay(applyNodeDelta(base, msg.delta))),
    );
    if (answer.type === "ack" && msg.names) this.#o.onNames?.(msg.names);
    return answer;
  }

  /**
   * A snapshot or delta that arrived whole but whose entries the datapath could not encode
   * (`message` names the first one): refused with a nack, so the last good state stays.
   */
  async refuse(header: RevisionHeader, message: string): Promise<ApplyAnswer> {
    if (header.type === "snapshot") return this.#nack(header.revision, "agent.invalid_entry", message);
    return this.#misplaced(header) ?? this.#nack(header.toRevision, "agent.invalid_entry", message);
  }

  /** A delta that does not start at the applied revision is ignored: the agent says hello again. */
  #misplaced(d: { fromRevision: number; toRevision: number }): ApplyAnswer | undefined {
    if (d.fromRevision === this.#applied) return undefined;
    const reason = `delta from revision ${d.fromRevision} does not start at the applied revision ${this.#applied}`;
    this.#o.log({ level: "warn", msg: "ignoring delta", reason, toRevision: d.toRevision });
    return { type: "resync", reason };
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
