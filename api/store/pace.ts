// Owns the time slices of a sliced write: how long it may hold the event loop before letting it run.
// A step runs to its end once started, so a slice can overrun by its longest step.

export class Pace {
  private end: number;

  constructor(private readonly sliceMs: number) {
    this.end = performance.now() + sliceMs;
  }

  /** When the current slice ends (performance.now() time). */
  get deadline(): number {
    return this.end;
  }

  /**
   * Undefined while the slice lasts; once it is spent, a promise of the next turn of the event loop
   * (after I/O), where a new slice starts.
   */
  pause(): Promise<void> | undefined {
    if (performance.now() <= this.end) return undefined;
    return this.nextTurn();
  }

  /** The next turn of the event loop, with a new slice: before a step that is long on its own. */
  nextTurn(): Promise<void> {
    return new Promise((resolve) =>
      setImmediate(() => {
        this.end = performance.now() + this.sliceMs;
        resolve();
      }),
    );
  }
}
