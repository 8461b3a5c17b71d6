// Owns the compiler's undo journal: while a batch applies, every mutation of the engine's state
// records its inverse, so a refused batch is rolled back in O(change) instead of rebuilding the
// engine from the store. The engine's maps and sets are JournaledMap/JournaledSet (they record
// themselves); plain fields record through `setField`, arrays through `pushTo`.
//
// The active journal is module state on purpose: apply() is synchronous, so at most one journal
// records at a time, and the engine's many small structures (including nested maps made on the
// fly) need not each carry a reference to it.

type Undo = () => void;

let active: Journal | undefined;

export class Journal {
  private undos: Undo[] = [];

  /** How many inverse operations are held (for tests and benchmarks). */
  get size(): number {
    return this.undos.length;
  }

  /** Runs `fn` with this journal recording every mutation of journaled state. */
  record<T>(fn: () => T): T {
    if (active) throw new Error("a compiler journal is already recording");
    active = this;
    try {
      return fn();
    } finally {
      active = undefined;
    }
  }

  /** Undoes everything recorded, newest first, and empties the journal. */
  rollback(): void {
    const undos = this.undos;
    this.undos = [];
    for (let i = undos.length - 1; i >= 0; i--) undos[i]!();
  }

  /**
   * rollback() in steps of `perStep` undos, newest first (a sliced write's refusal: undoing seconds
   * of compile at once would hold the event loop as long). Nothing may touch the engine until done.
   */
  *rollbackSteps(perStep = 8_192): Generator<void, void, void> {
    const undos = this.undos;
    this.undos = [];
    for (let i = undos.length - 1; i >= 0; i--) {
      undos[i]!();
      if (i % perStep === 0 && i > 0) yield;
    }
  }

  /** Forgets what was recorded: the changes stay. */
  discard(): void {
    this.undos = [];
  }

  /** @internal */
  push(undo: Undo): void {
    this.undos.push(undo);
  }
}

/** Records an inverse operation when a journal is recording. */
function note(undo: Undo): void {
  active?.push(undo);
}

export class JournaledMap<K, V> extends Map<K, V> {
  override set(key: K, value: V): this {
    if (active) {
      if (super.has(key)) {
        const old = super.get(key) as V;
        active.push(() => super.set(key, old));
      } else {
        active.push(() => super.delete(key));
      }
    }
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    if (active && super.has(key)) {
      const old = super.get(key) as V;
      active.push(() => super.set(key, old));
    }
    return super.delete(key);
  }

  override clear(): void {
    if (active && this.size > 0) {
      const old = [...this];
      active.push(() => {
        for (const [k, v] of old) super.set(k, v);
      });
    }
    super.clear();
  }
}

export class JournaledSet<T> extends Set<T> {
  override add(value: T): this {
    if (active && !super.has(value)) active.push(() => super.delete(value));
    return super.add(value);
  }

  override delete(value: T): boolean {
    const had = super.delete(value);
    if (active && had) active.push(() => super.add(value));
    return had;
  }

  override clear(): void {
    if (active && this.size > 0) {
      const old = [...this];
      active.push(() => {
        for (const v of old) super.add(v);
      });
    }
    super.clear();
  }
}

/** Records a custom inverse operation (for structures that are not maps, sets or fields). */
export function onUndo(undo: Undo): void {
  note(undo);
}

/** Runs `fn` without recording: for building a new structure before it is attached (recorded once). */
export function untracked<T>(fn: () => T): T {
  const saved = active;
  active = undefined;
  try {
    return fn();
  } finally {
    active = saved;
  }
}

/** Assigns a field, recording its old value. */
export function setField<O extends object, F extends keyof O>(obj: O, field: F, value: O[F]): void {
  if (active) {
    const old = obj[field];
    note(() => {
      obj[field] = old;
    });
  }
  obj[field] = value;
}

/** Appends to an array, recording its old length. */
export function pushTo<T>(array: T[], value: T): void {
  if (active) {
    const length = array.length;
    note(() => {
      array.length = length;
    });
  }
  array.push(value);
}
