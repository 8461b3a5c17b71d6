// Bounds from below, from a policy's text alone, the entries one of its rules adds to every set it
// applies to, so that a policy too large for any node is refused before anything is registered or
// expanded (issue 10 section 1: refuse over-capacity writes in <= 50 ms for any accepted body).
// A rule adds remotes x distinct port specs entries to a set; its remotes include at least the
// prefixes its own ipBlocks select among the policy's own prefixes (all of which get registered),
// and among any subset of them: so the prefixes go into the trie in doubling batches, and the
// count stops as soon as it is over what a set may hold.
import { mustParseCidr, type Prefix } from "../../../wire/cidr.ts";
import type { NetworkPolicy, PolicyRule } from "../model.ts";
import { PrefixTrie } from "./prefix-trie.ts";
import { numericSpecCount } from "./set-entries.ts";

/**
 * A lower bound on the entries the policy's largest rule adds to a set: exact when at most `max`,
 * and some number above `max` otherwise (found without counting everything).
 */
export function policyEntriesLowerBound(policy: NetworkPolicy, max = Number.POSITIVE_INFINITY): number {
  const rules = [...policy.spec.ingress, ...policy.spec.egress];
  // Each text parsed once: the same except often appears in many blocks.
  const parsed = new Map<string, Prefix>();
  const parse = (text: string): Prefix => {
    let p = parsed.get(text);
    if (!p) parsed.set(text, (p = mustParseCidr(text)));
    return p;
  };
  const texts = new Set<string>();
  for (const rule of rules) {
    for (const peer of rule.peers) {
      if (!peer.ipBlock) continue;
      texts.add(peer.ipBlock.cidr);
      for (const e of peer.ipBlock.except) texts.add(e);
    }
  }
  const own = new OwnPrefixes([...texts], parse);
  let most = 0;
  for (const rule of rules) {
    const specs = numericSpecCount(rule.ports);
    if (specs === 0) continue;
    const remotes = remotesLowerBound(rule, own, parse, Math.floor(max / specs));
    most = Math.max(most, remotes * specs);
    if (most > max) return most;
  }
  return most;
}

/** The policy's own prefixes, put in the trie a batch at a time as the counts need them. */
class OwnPrefixes {
  readonly trie = new PrefixTrie();
  private inserted = 0;
  constructor(
    private readonly texts: string[],
    private readonly parse: (text: string) => Prefix,
  ) {}

  get complete(): boolean {
    return this.inserted === this.texts.length;
  }

  /** Inserts up to `atLeast` prefixes in all (or all of them). */
  grow(atLeast: number): void {
    const until = Math.min(this.texts.length, atLeast);
    for (; this.inserted < until; this.inserted++) {
      this.trie.insert(this.parse(this.texts[this.inserted]!), this.inserted + 1);
    }
  }
}

function remotesLowerBound(
  rule: PolicyRule,
  own: OwnPrefixes,
  parse: (text: string) => Prefix,
  limit: number,
): number {
  // No peers: every remote, one wildcard entry per spec.
  if (rule.peers.length === 0) return 1;
  const blocks: { cidr: Prefix; excepts: Prefix[] }[] = [];
  for (const peer of rule.peers) {
    if (peer.ipBlock)
      blocks.push({ cidr: parse(peer.ipBlock.cidr), excepts: peer.ipBlock.except.map(parse) });
  }
  if (blocks.length === 0) return 0;
  // Doubling batches: O(n) in all, and O(limit) when the rule is over it early.
  for (let batch = Math.max(64, 2 * (limit + 1)); ; batch *= 2) {
    own.grow(batch);
    const count = own.trie.selectedByAny(blocks, limit).size;
    if (count > limit || own.complete) return count;
  }
}
