// Owns writing what agents report into the nodes table without a SQLite write per ack or hello: an
// ack's status (applied revision, last seen) and a hello's (agent version, features) are merged per
// node and written with every other node's in one transaction at most `delayMs` later. At 10,000
// agents a write per ack was 10,000 statements per revision, and a write per hello a third of each
// reconnection's cost after a restart. Other reports (nack, status) are written at once, after
// what was pending for that node, so a buffered field never overwrites a newer one. The live
// applied revision is the session's (and the hub's floor); the table is what a disconnected node
// last reported.
import type { NodeRecord } from "../nodes/nodes.repository.ts";

type NodeUpdate = Partial<Omit<NodeRecord, "name" | "enrolledAt" | "credentialRotatedAt">>;

export interface NodeStatusTarget {
  update(node: string, status: NodeUpdate): void;
  /** Runs `fn` in one SQLite transaction. */
  transaction(fn: () => void): void;
}

export class NodeStatusWriter {
  private readonly pending = new Map<string, NodeUpdate>();
  private timer: NodeJS.Timeout | undefined;
  /** Nodes whose last written status holds an error: the ack that clears it is written at once. */
  private readonly errored = new Set<string>();
  private closed = false;

  constructor(
    private readonly target: NodeStatusTarget,
    private readonly delayMs = 1000,
  ) {}

  /** Merged into the node's pending status; written with the others within delayMs. */
  later(node: string, status: NodeUpdate): void {
    if (this.closed) return;
    if (status.lastError === null && this.errored.has(node)) return this.now(node, status);
    const p = this.pending.get(node);
    this.pending.set(node, p ? Object.assign(p, status) : { ...status });
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.delayMs);
      this.timer.unref();
    }
  }

  /** Written now, together with (and over) what was pending for the node. */
  now(node: string, status: NodeUpdate): void {
    if (this.closed) return;
    const p = this.pending.get(node);
    this.pending.delete(node);
    const merged = p ? { ...p, ...status } : status;
    if (merged.lastError) this.errored.add(node);
    else if (merged.lastError === null) this.errored.delete(node);
    this.target.update(node, merged);
  }

  /** Writes the node's pending status now (e.g. as it disconnects). */
  flushNode(node: string): void {
    const p = this.pending.get(node);
    if (p) this.now(node, {});
  }

  /** Writes what is pending and takes no more (the database closes next). */
  close(): void {
    this.flush();
    this.closed = true;
  }

  /** Writes every pending status in one transaction. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const batch = [...this.pending];
    this.pending.clear();
    this.target.transaction(() => {
      for (const [node, status] of batch) this.target.update(node, status);
    });
  }
}
