// Owns prefix identities: every CIDR that policy names (ipBlock cidr and except, per-address named
// port targets) gets an identity; ipBlock peers select the prefixes inside them; addresses find
// their longest registered prefix. A block keeps no set of its own: what it selects is read off the
// prefix trie (one walk for all the blocks of a rule), so b blocks over n prefixes cost O(n log n +
// b), not O(n x b).
import { mustParseCidr, type Prefix, prefixContains } from "../../../wire/cidr.ts";
import { FIRST_PREFIX_IDENTITY } from "../../../wire/entries.ts";
import { Allocator } from "../allocator.ts";
import type { IPBlock } from "../model.ts";
import { JournaledMap, JournaledSet, onUndo, setField } from "./journal.ts";
import { addUser, dropUser } from "./keyed-sets.ts";
import { PrefixIndex } from "./prefix-index.ts";
import { PrefixTrie } from "./prefix-trie.ts";
import { drain, type Steps } from "./steps.ts";

interface CachedBlock {
  cidr: Prefix;
  excepts: Prefix[];
  /** The excepts, indexed so that "is this prefix inside an except" costs one lookup per length. */
  except: PrefixIndex<true>;
  users: Set<string>;
}

/** A selection computed from the trie, valid while no prefix was registered or released. */
interface CachedSelection {
  version: number;
  selected: Set<number>;
}

export class PrefixRegistry {
  readonly allocator: Allocator;
  private readonly prefixes = new JournaledMap<string, { id: number; prefix: Prefix }>();
  /** Registered prefixes, for longest-prefix lookups. */
  private readonly registered = new PrefixIndex<number>();
  private readonly blocks = new JournaledMap<string, CachedBlock>();
  /** Blocks by their cidr, so a prefix finds the blocks that may select it without a scan. */
  private readonly blocksByCidr = new PrefixIndex<Set<CachedBlock>>();
  /** Blocks by each of their excepts, so a prefix finds the blocks that exclude it. */
  private readonly blocksByExcept = new PrefixIndex<Set<CachedBlock>>();
  /** Prefixes registered or released since the last drain (for ipcache updates); an object for the journal. */
  private readonly pending = { changed: new JournaledSet<string>() };
  /** Registered prefixes, for what blocks select. */
  private readonly trie = new PrefixTrie();
  /**
   * Bumped whenever a prefix is registered or released, and again when a journal undoes that:
   * cached selections older than it are stale (it never goes back, so a rolled-back batch's
   * selections are never reused).
   */
  private version = 0;
  /** Bumped whenever a block gains or loses a user (the groups marked done below are then stale). */
  private usersVersion = 0;
  /** Selections cached per owner (a block key's entry, or a rule's peer list). */
  private readonly selections = new WeakMap<object, CachedSelection>();
  /**
   * Per `affected` set being filled: the cidr groups all of whose users it already holds, so that a
   * batch of prefixes under one popular cidr visits that cidr's blocks once, not once per prefix.
   */
  private readonly doneGroups = new WeakMap<Set<string>, { version: number; groups: Set<object> }>();

  constructor(persisted: Iterable<[string, number]> = [], highWater = 0) {
    this.allocator = new Allocator({ kind: "prefix", first: FIRST_PREFIX_IDENTITY, persisted, highWater });
  }

  /** How many prefixes are registered (each is an ipcache entry on every node). */
  get size(): number {
    return this.prefixes.size;
  }

  /** Takes a reference on a canonical prefix; returns the users of blocks that now select it. */
  acquire(cidr: string, affected: Set<string>): number {
    const { id, created } = this.allocator.acquire(cidr);
    if (created) {
      const prefix = mustParseCidr(cidr);
      this.prefixes.set(cidr, { id, prefix });
      this.registered.set(prefix, id);
      this.trieInsert(prefix, id);
      this.pending.changed.add(cidr);
      this.collectUsers(prefix, affected);
    }
    return id;
  }

  release(cidr: string, affected: Set<string>): void {
    const held = this.prefixes.get(cidr);
    if (!this.allocator.release(cidr) || !held) return;
    this.prefixes.delete(cidr);
    this.registered.delete(held.prefix);
    this.trieDelete(held.prefix, held.id);
    this.pending.changed.add(cidr);
    this.collectUsers(held.prefix, affected);
  }

  /** Registers a prefix in the trie; a rollback takes it out again. */
  private trieInsert(prefix: Prefix, id: number): void {
    this.trie.insert(prefix, id);
    this.version++;
    onUndo(() => {
      this.trie.delete(prefix);
      this.version++;
    });
  }

  /** Removes a prefix from the trie; a rollback puts it back. */
  private trieDelete(prefix: Prefix, id: number): void {
    this.trie.delete(prefix);
    this.version++;
    onUndo(() => {
      this.trie.insert(prefix, id);
      this.version++;
    });
  }

  /** Adds to `affected` the users of every block that selects `prefix`. */
  private collectUsers(prefix: Prefix, affected: Set<string>): void {
    let done = this.doneGroups.get(affected);
    if (!done || done.version !== this.usersVersion) {
      done = { version: this.usersVersion, groups: new Set() };
      this.doneGroups.set(affected, done);
    }
    let excluded: Set<CachedBlock> | undefined;
    for (const blocks of this.blocksByCidr.containing(prefix)) {
      if (done.groups.has(blocks)) continue;
      if (!excluded) {
        excluded = new Set();
        for (const bs of this.blocksByExcept.containing(prefix)) for (const b of bs) excluded.add(b);
      }
      let all = true;
      for (const block of blocks) {
        if (excluded.has(block)) {
          all &&= [...block.users].every((u) => affected.has(u));
          continue;
        }
        for (const u of block.users) affected.add(u);
      }
      if (all) done.groups.add(blocks);
    }
  }

  /** Takes a use of an ipBlock for `user`; returns its key. */
  useBlock(block: IPBlock, user: string): string {
    const key = `${block.cidr}!${[...block.except].sort().join(",")}`;
    addUser(this.blocks, key, user, () => {
      const excepts = block.except.map(mustParseCidr);
      const cached: CachedBlock = {
        cidr: mustParseCidr(block.cidr),
        excepts,
        except: new PrefixIndex(),
        users: new JournaledSet(),
      };
      for (const e of excepts) cached.except.set(e, true);
      addAt(this.blocksByCidr, cached.cidr, cached);
      for (const e of excepts) addAt(this.blocksByExcept, e, cached);
      return cached;
    });
    this.usersVersion++;
    return key;
  }

  unuseBlock(key: string, user: string): void {
    const cached = this.blocks.get(key);
    dropUser(this.blocks, key, user);
    this.usersVersion++;
    if (!cached || this.blocks.has(key)) return;
    removeAt(this.blocksByCidr, cached.cidr, cached);
    for (const e of cached.excepts) removeAt(this.blocksByExcept, e, cached);
  }

  /** The prefix identities a block selects (inside its cidr, outside its excepts). */
  selected(blockKey: string): ReadonlySet<number> {
    const block = this.blocks.get(blockKey);
    return block ? this.selectedByAny(block, [blockKey]) : new Set();
  }

  /**
   * The prefix identities that at least one of the blocks selects, in one trie walk: a rule with
   * many ipBlocks over the same cidr costs what one block costs. Cached on `owner` (kept by the
   * caller, e.g. a rule's peer list) until a prefix is registered or released.
   */
  selectedByAny(owner: object, blockKeys: readonly string[]): ReadonlySet<number> {
    return drain(this.selectedByAnySteps(owner, blockKeys));
  }

  /** selectedByAny in steps (the trie walk's), cached alike. */
  *selectedByAnySteps(owner: object, blockKeys: readonly string[]): Steps<ReadonlySet<number>> {
    const cached = this.selections.get(owner);
    if (cached?.version === this.version) return cached.selected;
    const shapes: CachedBlock[] = [];
    for (const key of new Set(blockKeys)) {
      const block = this.blocks.get(key);
      if (block) shapes.push(block);
    }
    const version = this.version;
    const selected = yield* this.trie.selectedByAnySteps(shapes);
    this.selections.set(owner, { version, selected });
    return selected;
  }

  /** True when an address (as a host prefix) lies in the block's cidr and outside its excepts. */
  blockContains(blockKey: string, host: Prefix): boolean {
    const b = this.blocks.get(blockKey);
    return !!b && blockSelects(b, host);
  }

  idOf(cidr: string): number | undefined {
    return this.prefixes.get(cidr)?.id;
  }

  /** The identity of the longest registered prefix containing `host`, or 0. */
  longestMatch(host: Prefix): number {
    return this.registered.containing(host)[0] ?? 0;
  }

  all(): IterableIterator<[string, { id: number; prefix: Prefix }]> {
    return this.prefixes.entries();
  }

  drainChanged(): Set<string> {
    const out = this.pending.changed;
    setField(this.pending, "changed", new JournaledSet());
    return out;
  }
}

function addAt(index: PrefixIndex<Set<CachedBlock>>, at: Prefix, block: CachedBlock): void {
  let blocks = index.get(at);
  if (!blocks) index.set(at, (blocks = new JournaledSet()));
  blocks.add(block);
}

function removeAt(index: PrefixIndex<Set<CachedBlock>>, at: Prefix, block: CachedBlock): void {
  const blocks = index.get(at);
  blocks?.delete(block);
  if (blocks?.size === 0) index.delete(at);
}

function blockSelects(block: CachedBlock, prefix: Prefix): boolean {
  return prefixContains(block.cidr, prefix) && !block.except.containsAny(prefix);
}
