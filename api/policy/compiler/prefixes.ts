// Owns prefix identities: every CIDR that policy names (ipBlock cidr and except, per-address named
// port targets) gets an identity; ipBlock peers select the prefixes inside them; addresses find
// their longest registered prefix.
import { mustParseCidr, type Prefix, prefixContains } from "../../../wire/cidr.ts";
import { FIRST_PREFIX_IDENTITY } from "../../../wire/entries.ts";
import { Allocator } from "../allocator.ts";
import type { IPBlock } from "../model.ts";
import { JournaledMap, JournaledSet, setField } from "./journal.ts";
import { addUser, dropUser } from "./keyed-sets.ts";
import { PrefixIndex } from "./prefix-index.ts";

interface CachedBlock {
  cidr: Prefix;
  /** The excepts, indexed so that "is this prefix inside an except" costs one lookup per length. */
  except: PrefixIndex<true>;
  selected: Set<number>;
  users: Set<string>;
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
      this.pending.changed.add(cidr);
      const excluded = new Set<CachedBlock>();
      for (const blocks of this.blocksByExcept.containing(prefix)) for (const b of blocks) excluded.add(b);
      for (const blocks of this.blocksByCidr.containing(prefix)) {
        for (const block of blocks) {
          if (excluded.has(block)) continue;
          block.selected.add(id);
          for (const u of block.users) affected.add(u);
        }
      }
    }
    return id;
  }

  release(cidr: string, affected: Set<string>): void {
    const held = this.prefixes.get(cidr);
    if (!this.allocator.release(cidr) || !held) return;
    this.prefixes.delete(cidr);
    this.registered.delete(held.prefix);
    this.pending.changed.add(cidr);
    for (const blocks of this.blocksByCidr.containing(held.prefix)) {
      for (const block of blocks) {
        if (block.selected.delete(held.id)) for (const u of block.users) affected.add(u);
      }
    }
  }

  /** Takes a use of an ipBlock for `user`; returns its key. */
  useBlock(block: IPBlock, user: string): string {
    const key = `${block.cidr}!${[...block.except].sort().join(",")}`;
    addUser(this.blocks, key, user, () => {
      const cached: CachedBlock = {
        cidr: mustParseCidr(block.cidr),
        except: new PrefixIndex(),
        selected: new JournaledSet(),
        users: new JournaledSet(),
      };
      for (const text of block.except) cached.except.set(mustParseCidr(text), true);
      for (const { id, prefix } of this.prefixes.values())
        if (blockSelects(cached, prefix)) cached.selected.add(id);
      addAt(this.blocksByCidr, cached.cidr, cached);
      for (const text of block.except) addAt(this.blocksByExcept, mustParseCidr(text), cached);
      return cached;
    });
    return key;
  }

  unuseBlock(key: string, user: string): void {
    const cached = this.blocks.get(key);
    dropUser(this.blocks, key, user);
    if (!cached || this.blocks.has(key)) return;
    removeAt(this.blocksByCidr, cached.cidr, cached);
    for (const text of key.slice(key.indexOf("!") + 1).split(",")) {
      if (text !== "") removeAt(this.blocksByExcept, mustParseCidr(text), cached);
    }
  }

  selected(blockKey: string): ReadonlySet<number> {
    return this.blocks.get(blockKey)?.selected ?? new Set();
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
