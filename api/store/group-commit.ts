// Owns group commit: writes submitted while the event loop is busy are committed together, one
// SQLite transaction (so one WAL fsync under synchronous=FULL) holding one revision per write.
// Each write is answered once that transaction has committed, never before; a refused one fails
// alone (Store.commitWithin runs each in its own savepoint). A group holds the event loop for a
// time budget at most: the writes after it wait for the next turn, and a write whose own compile
// outlasts the budget is undone and committed alone, in slices (Store.commitSliced).
import type { CommitItem, CommitResult, GroupOutcome } from "./store.ts";

/** Writes per transaction at most. */
export const MAX_GROUP = 256;
/** How long one group may hold the event loop, in ms (a write that starts within it may finish). */
export const GROUP_BUDGET_MS = 25;

interface Pending {
  item: CommitItem;
  resolve: (result: CommitResult) => void;
  reject: (err: unknown) => void;
}

/** What group commit needs of the store. */
export interface GroupStore {
  commitWithin(items: CommitItem[], deadline: number): GroupOutcome;
  commitSliced(item: CommitItem): Promise<CommitResult>;
}

export class GroupCommit {
  private queue: Pending[] = [];
  /** A flush is scheduled, or a sliced write runs: the queue waits for it. */
  private busy = false;

  constructor(
    private readonly store: GroupStore,
    private readonly maxGroup = MAX_GROUP,
    private readonly budgetMs = GROUP_BUDGET_MS,
  ) {}

  submit(item: CommitItem): Promise<CommitResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /**
   * The first write of a group schedules the flush: every request the server reads before that
   * turn of the event loop joins the same transaction. A lone writer waits one turn.
   */
  private schedule(): void {
    if (this.busy || this.queue.length === 0) return;
    this.busy = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    const batch = this.queue.splice(0, this.maxGroup);
    let group: GroupOutcome;
    try {
      group = this.store.commitWithin(
        batch.map((p) => p.item),
        performance.now() + this.budgetMs,
      );
    } catch (err) {
      for (const p of batch) p.reject(err);
      this.done();
      return;
    }
    const { outcomes, overran } = group;
    outcomes.forEach((o, i) => {
      if (o.ok) batch[i]!.resolve(o.result);
      else batch[i]!.reject(o.error);
    });
    const rest = batch.slice(outcomes.length);
    if (!overran) {
      this.queue.unshift(...rest);
      this.done();
      return;
    }
    const [sliced, ...later] = rest;
    this.queue.unshift(...later);
    // On the next turn: this one may have run a request's parsing, the group and an undone try.
    setImmediate(() => {
      this.store
        .commitSliced(sliced!.item)
        .then(sliced!.resolve, sliced!.reject)
        .finally(() => this.done());
    });
  }

  /** Lets the next group go, on a later turn (after what waited for a sliced write has run). */
  private done(): void {
    this.busy = false;
    this.schedule();
  }
}
