// Owns prefix identities: every CIDR that policy names (ipBlock cidr and except, per-address named
// port targets) gets an identity; ipBlock peers select the prefixes inside them; addresses find
// their longest registered prefix.
import { mustParseCidr, type Prefix, prefixContains } from "../../../wire/cidr.ts";
import { FIRST_PREFIX_IDENTITY } from "../../../wire/entries.ts";
import { Allocator } from "../allocator.ts";
import type { IPBlock } from "../model.ts";
import { addUser, dropUser } from "./keyed-sets.ts";

interface CachedBlock {
  cidr: Prefix;
  except: Prefix[];
  selected: Set<number>;
  users: Set<string>;
}

export class PrefixRegistry {
  readonly allocator: Allocator;
  private readonly prefixes = new Map<string, { id: number; prefix: Prefix }>();
  /** Registered prefixes by family and length, for longest-prefix lookups. */
  private readonly byLength = new Map<string, Map<string, number>>();
  private readonly blocks = new Map<string, CachedBlock>();
  /** Prefixes registered or released since the last drain (for ipcache updates). */
  private changed = new Set<string>();

  constructor(persisted: Iterable<[string, number]> = [], highWater = 0) {
    this.allocator = new Allocator({ kind: "prefix", first: FIRST_PREFIX_IDENTITY, persisted, highWater });
  }

  /** Takes a reference on a canonical prefix; returns the users of blocks that now select it. */
  acquire(cidr: string, affected: Set<string>): number {
    const { id, created } = this.allocator.acquire(cidr);
    if (created) {
      const prefix = mustParseCidr(cidr);
      this.prefixes.set(cidr, { id, prefix });
      this.lengthBucket(prefix, true)!.set(bytesKey(prefix), id);
      this.changed.add(cidr);
      for (const block of this.blocks.values()) {
        if (blockSelects(block, prefix)) {
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
    const bucket = this.lengthBucket(held.prefix, false);
    bucket?.delete(bytesKey(held.prefix));
    if (bucket?.size === 0) this.byLength.delete(lengthKey(held.prefix));
    this.changed.add(cidr);
    for (const block of this.blocks.values()) {
      if (block.selected.delete(held.id)) for (const u of block.users) affected.add(u);
    }
  }

  /** Takes a use of an ipBlock for `user`; returns its key. */
  useBlock(block: IPBlock, user: string): string {
    const key = `${block.cidr}!${[...block.except].sort().join(",")}`;
    addUser(this.blocks, key, user, () => {
      const cached: CachedBlock = {
        cidr: mustParseCidr(block.cidr),
        except: block.except.map(mustParseCidr),
        selected: new Set(),
        users: new Set(),
      };
      for (const { id, prefix } of this.prefixes.values())
        if (blockSelects(cached, prefix)) cached.selected.add(id);
      return cached;
    });
    return key;
  }

  unuseBlock(key: string, user: string): void {
    dropUser(this.blocks, key, user);
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
    const maxLen = host.bytes.length * 8;
    for (let len = maxLen; len >= 0; len--) {
      const bucket = this.byLength.get(`${host.family}/${len}`);
      if (!bucket) continue;
      const id = bucket.get(bytesKey(host, len));
      if (id !== undefined) return id;
    }
    return 0;
  }

  all(): IterableIterator<[string, { id: number; prefix: Prefix }]> {
    return this.prefixes.entries();
  }

  drainChanged(): Set<string> {
    const out = this.changed;
    this.changed = new Set();
    return out;
  }

  private lengthBucket(prefix: Prefix, create: boolean): Map<string, number> | undefined {
    const key = lengthKey(prefix);
    let bucket = this.byLength.get(key);
    if (!bucket && create) this.byLength.set(key, (bucket = new Map()));
    return bucket;
  }
}

function lengthKey(p: Prefix): string {
  return `${p.family}/${p.prefixLen}`;
}

/** The first `len` bits of an address as a string key (defaults to the prefix's own length). */
function bytesKey(p: Prefix, len = p.prefixLen): string {
  const out: number[] = [];
  for (let i = 0; i < p.bytes.length && i * 8 < len; i++) {
    const bits = Math.min(8, len - i * 8);
    out.push(p.bytes[i]! & ((0xff << (8 - bits)) & 0xff));
  }
  return out.join(".");
}

function blockSelects(block: CachedBlock, prefix: Prefix): boolean {
  return prefixContains(block.cidr, prefix) && !block.except.some((e) => prefixContains(e, prefix));
}
