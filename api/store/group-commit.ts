// Owns group commit: writes submitted while the event loop is busy are committed together, one
// SQLite transaction (so one WAL fsync under synchronous=FULL) holding one revision per write.
// Each write is answered once that transaction has committed, never before; a refused one fails
// alone (Store.commitMany runs each in its own savepoint).
import type { CommitItem, CommitResult, Store } from "./store.ts";

/** Writes per transaction at most: bounds how long one batch holds the event loop. */
export const MAX_GROUP = 256;

interface Pending {
  item: CommitItem;
  resolve: (result: CommitResult) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit {
  private queue: Pending[] = [];

  constructor(
    private readonly store: Pick<Store, "commitMany">,
    private readonly maxGroup = MAX_GROUP,
  ) {}

  submit(item: CommitItem): Promise<CommitResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // The first write of a group schedules the flush: every request the server reads before
      // that turn of the event loop joins the same transaction. A lone writer waits one turn.
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.queue.splice(0, this.maxGroup);
    if (this.queue.length > 0) setImmediate(() => this.flush());
    let outcomes: ReturnType<Store["commitMany"]>;
    try {
      outcomes = this.store.commitMany(batch.map((p) => p.item));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => {
      const o = outcomes[i]!;
      if (o.ok) p.resolve(o.result);
      else p.reject(o.error);
    });
  }
}
