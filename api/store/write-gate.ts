// Owns the one state every reader of compiled state must respect: a write whose compile is paused
// between two slices (the store's sliced commits). Meanwhile the engine holds a half-applied change
// that no revision describes: whoever reads it (sync snapshots and catch-ups, evaluate, node and
// endpoint status) waits here until the write has committed or been rolled back. Readers of rows
// need not wait: no transaction is open during a pause, so SQLite holds the last committed state.

export class WriteGate {
  private paused = false;
  private readonly waiting: (() => void)[] = [];

  /** True while a write is paused half-applied. */
  get busy(): boolean {
    return this.paused;
  }

  pause(): void {
    this.paused = true;
  }

  /**
   * Ends the pause and runs everything that waited, in the order it came. One that throws does not
   * stop the others; its error is thrown again on its own turn (as an event handler's would be).
   */
  resume(): void {
    this.paused = false;
    for (const fn of this.waiting.splice(0)) {
      try {
        fn();
      } catch (err) {
        setImmediate(() => {
          throw err;
        });
      }
    }
  }

  /** Runs `fn` now when no write is paused, else once the paused one has settled. */
  whenSettled(fn: () => void): void {
    if (this.paused) this.waiting.push(fn);
    else fn();
  }

  /** Resolves once no write is paused (at once when none is). */
  settled(): Promise<void> {
    return this.paused ? new Promise((resolve) => this.waiting.push(resolve)) : Promise.resolve();
  }
}
