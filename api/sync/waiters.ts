// Owns the bookkeeping behind /v1/sync/wait and the revision.enforced mark: the lowest revision
// applied over a set of nodes, and the waits pending on one node or on all of them. An ack costs
// O(log n) (one floor update, then only the waits it settles), never a scan of every node or
// waiter: the previous scan was quadratic once thousands of agents acked each revision.
import { MinHeap } from "./min-heap.ts";

/** Stands for "nothing applied yet" (a new agent, or a stream that has not said hello). */
export const NONE = -1;

/**
 * The lowest of one revision per node. Nodes at the same revision share one count, so a fleet
 * that moves together keeps a handful of distinct keys; the heap of keys is cleaned lazily.
 */
export class RevisionFloor {
  private readonly byNode = new Map<string, number>();
  private readonly counts = new Map<number, number>();
  private readonly keys = new MinHeap<number>((a, b) => a < b);

  get size(): number {
    return this.byNode.size;
  }

  /** Sets (or adds) the node's revision. */
  set(node: string, revision: number): void {
    const old = this.byNode.get(node);
    if (old === revision) return;
    if (old !== undefined) this.uncount(old);
    this.byNode.set(node, revision);
    const n = this.counts.get(revision) ?? 0;
    this.counts.set(revision, n + 1);
    if (n === 0) this.keys.push(revision);
  }

  delete(node: string): void {
    const old = this.byNode.get(node);
    if (old === undefined) return;
    this.byNode.delete(node);
    this.uncount(old);
  }

  /** The lowest revision of any node; Infinity when there is none. */
  min(): number {
    for (;;) {
      const top = this.keys.peek();
      if (top === undefined) return Number.POSITIVE_INFINITY;
      if (this.counts.has(top)) return top;
      this.keys.pop();
    }
  }

  private uncount(revision: number): void {
    const n = this.counts.get(revision)! - 1;
    // The key stays in the heap until min() passes it: a key counted again meanwhile is pushed
    // again, and the duplicate is dropped the same way once its count is gone.
    if (n === 0) this.counts.delete(revision);
    else this.counts.set(revision, n);
  }
}

interface Wait {
  revision: number;
  done: boolean;
  resolve: () => void;
}

/** Waits ordered by revision: settling every wait up to a revision costs only the waits settled. */
class WaitQueue {
  private readonly heap = new MinHeap<Wait>((a, b) => a.revision < b.revision);
  private abandoned = 0;

  get size(): number {
    return this.heap.size - this.abandoned;
  }

  add(w: Wait): void {
    this.heap.push(w);
  }

  /** A wait that timed out: dropped when it reaches the top, or in bulk once they pile up. */
  abandon(): void {
    this.abandoned++;
    if (this.abandoned > 64 && this.abandoned * 2 > this.heap.size) {
      this.heap.filter((w) => !w.done);
      this.abandoned = 0;
    }
  }

  settle(upTo: number): void {
    for (;;) {
      const top = this.heap.peek();
      if (!top || top.revision > upTo) return;
      this.heap.pop();
      if (top.done) {
        this.abandoned--;
        continue;
      }
      top.done = true;
      top.resolve();
    }
  }
}

/** Pending waits for one node or for every connected node, settled as revisions are applied. */
export class Waiters {
  private readonly fleet = new WaitQueue();
  private readonly perNode = new Map<string, WaitQueue>();

  /**
   * Resolves true once `ready` says so, false after `timeoutMs`; `node` undefined waits on the
   * fleet. The caller settles with `settleNode` and `settleFleet` as revisions move.
   */
  wait(revision: number, timeoutMs: number, node: string | undefined): Promise<boolean> {
    return new Promise((resolve) => {
      const queue = node === undefined ? this.fleet : this.queueOf(node);
      const timer = setTimeout(() => {
        w.done = true;
        resolve(false);
        queue.abandon();
        if (node !== undefined && queue.size === 0 && this.perNode.get(node) === queue)
          this.perNode.delete(node);
      }, timeoutMs);
      const w: Wait = {
        revision,
        done: false,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      queue.add(w);
    });
  }

  /** The node has applied `applied`: its waits up to there are answered. */
  settleNode(node: string, applied: number): void {
    const queue = this.perNode.get(node);
    if (!queue) return;
    queue.settle(applied);
    if (queue.size === 0) this.perNode.delete(node);
  }

  /** Every connected node has applied `floor`: fleet-wide waits up to there are answered. */
  settleFleet(floor: number): void {
    this.fleet.settle(floor);
  }

  private queueOf(node: string): WaitQueue {
    let q = this.perNode.get(node);
    if (!q) this.perNode.set(node, (q = new WaitQueue()));
    return q;
  }
}
