// Owns the compiler's step protocol: work that can grow with a write (prefixes, sets, ipcache keys)
// is a generator that yields at safe points, where the engine's state is consistent enough for the
// work to go on later. A yield hands control to the caller, who may resume at once or let the
// event loop run first (the store's sliced commits); nothing else may touch the engine meanwhile.
// A yield means nothing to the result: draining the steps at once is apply() as it always was.

/** A unit of compiler work done in steps; its return value is the work's result. */
export type Steps<T> = Generator<void, T, void>;

/** Runs steps to the end without pausing. */
export function drain<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * A checkpoint every `every` calls: `if (tick()) yield;` inside a loop of small items, so that a
 * yield costs nothing measurable next to the items it spaces out.
 */
export function ticker(every: number): () => boolean {
  let n = 0;
  return () => {
    if (++n < every) return false;
    n = 0;
    return true;
  };
}
