// Owns numeric id allocation for keyed things (identities, prefixes, policy sets): reference counted,
// stable while used, released when unused, never reused within a store (pure, in memory). Every
// mutation is journaled, so a refused compile gives back exactly the ids and high-water it took.
import { JournaledMap, pushTo, setField } from "./compiler/journal.ts";

export interface AllocationChange {
  kind: string;
  key: string;
  /** The id now held by the key, or null when the key was released. */
  id: number | null;
}

export interface AllocatorOptions {
  /** Name recorded with every change (e.g. "identity"). */
  kind: string;
  /** The lowest id this allocator hands out. */
  first: number;
  /** Ids loaded from the store; they start with no references. */
  persisted?: Iterable<[string, number]>;
  /** The highest id ever handed out (so released ids are not reused); default 0. */
  highWater?: number;
  /** The highest id this allocator may hand out; default 0xffff_ffff. */
  last?: number;
}

export class Allocator {
  readonly kind: string;
  private readonly last: number;
  private readonly byKey = new JournaledMap<string, { id: number; refs: number }>();
  private readonly keyById = new JournaledMap<number, string>();
  /** The next id to hand out, and the changes since the last drain (an object, for the journal). */
  private readonly state: { next: number; changes: AllocationChange[] };

  constructor({ kind, first, persisted = [], highWater = 0, last = 0xffff_ffff }: AllocatorOptions) {
    this.kind = kind;
    this.last = last;
    this.state = { next: Math.max(first, highWater + 1), changes: [] };
    for (const [key, id] of persisted) {
      this.byKey.set(key, { id, refs: 0 });
      this.keyById.set(id, key);
      this.state.next = Math.max(this.state.next, id + 1);
    }
  }

  /** Takes a reference on `key`; returns its id and whether the key was newly allocated. */
  acquire(key: string): { id: number; created: boolean } {
    const held = this.byKey.get(key);
    if (held) {
      setField(held, "refs", held.refs + 1);
      return { id: held.id, created: held.refs === 1 };
    }
    const id = this.state.next;
    if (id > this.last) throw new RangeError(`${this.kind} ids exhausted (last ${this.last})`);
    setField(this.state, "next", id + 1);
    this.byKey.set(key, { id, refs: 1 });
    this.keyById.set(id, key);
    pushTo(this.state.changes, { kind: this.kind, key, id });
    return { id, created: true };
  }

  /** Drops a reference; returns true when the key lost its last reference and was released. */
  release(key: string): boolean {
    const held = this.byKey.get(key);
    if (!held) throw new Error(`${this.kind} ${JSON.stringify(key)} released but not held`);
    setField(held, "refs", held.refs - 1);
    if (held.refs > 0) return false;
    this.byKey.delete(key);
    this.keyById.delete(held.id);
    pushTo(this.state.changes, { kind: this.kind, key, id: null });
    return true;
  }

  /** Releases loaded ids that nothing references (after the first full compile). */
  purgeUnused(): void {
    for (const [key, held] of [...this.byKey]) {
      if (held.refs === 0) {
        setField(held, "refs", 1);
        this.release(key);
      }
    }
  }

  idOf(key: string): number | undefined {
    return this.byKey.get(key)?.id;
  }

  keyOf(id: number): string | undefined {
    return this.keyById.get(id);
  }

  get highWater(): number {
    return this.state.next - 1;
  }

  get size(): number {
    return this.byKey.size;
  }

  entries(): [string, number][] {
    return [...this.byKey].map(([key, held]) => [key, held.id]);
  }

  /** Returns and forgets the changes made since the last call. */
  drainChanges(): AllocationChange[] {
    const out = this.state.changes;
    setField(this.state, "changes", []);
    return out;
  }
}
