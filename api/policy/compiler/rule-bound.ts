// Bounds from below, from a policy's text alone, the entries one of its rules adds to every set it
// applies to, so that a policy too large for any node is refused before anything is registered or
// expanded (issue 10 section 1: refuse over-capacity writes in <= 50 ms for any accepted body).
// A rule adds remotes x distinct port specs entries to a set; its remotes include at least the
// prefixes its own ipBlocks select among the policy's own prefixes (all of which get registered),
// and among any subset of them: so the prefixes go into the trie in doubling batches, and the
// count stops as soon as it is over what a set may hold.
import { mustParseCidr, type Prefix } from "../../../wire/cidr.ts";
import type { NetworkPolicy, PolicyRule } from "../model.ts";
import { type BlockShape, PrefixTrie } from "./prefix-trie.ts";
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
  const own = new OwnPrefixes(prefixTexts(rules), parse);
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

/**
 * True when no rule of the policy can reach `max` entries from its own prefixes: each rule's
 * bound is at most its port specs times the policy's distinct prefixes (or one wildcard), so most
 * policies, large ones included, are cleared by a count instead of a trie walk.
 */
export function cannotExceed(policy: NetworkPolicy, max: number): boolean {
  const rules = [...policy.spec.ingress, ...policy.spec.egress];
  let specs = 0;
  for (const rule of rules) specs = Math.max(specs, numericSpecCount(rule.ports));
  if (specs > max) return false;
  // The count stops once the widest rule could pass `max`: a policy of 30,000 prefixes is not
  // read to its end to learn that it needs the trie bound.
  const mostOwn = specs === 0 ? Number.POSITIVE_INFINITY : Math.floor(max / specs);
  let own = 0;
  for (const _ of prefixTexts(rules)) if (++own > mostOwn) return false;
  return true;
}

/** Every distinct cidr and except text of the rules, in order, read only as far as asked. */
function* prefixTexts(rules: readonly PolicyRule[]): Generator<string> {
  const seen = new Set<string>();
  for (const rule of rules) {
    for (const peer of rule.peers) {
      if (!peer.ipBlock) continue;
      for (const text of [peer.ipBlock.cidr, ...peer.ipBlock.except]) {
        if (seen.has(text)) continue;
        seen.add(text);
        yield text;
      }
    }
  }
}

/** The policy's own prefixes, put in the trie a batch at a time as the counts need them. */
class OwnPrefixes {
  readonly trie = new PrefixTrie();
  private inserted = 0;
  complete = false;
  constructor(
    private readonly texts: Iterator<string>,
    private readonly parse: (text: string) => Prefix,
  ) {}

  /** Inserts prefixes until `atLeast` are in, or all of them. */
  grow(atLeast: number): void {
    while (!this.complete && this.inserted < atLeast) {
      const next = this.texts.next();
      if (next.done) this.complete = true;
      else this.trie.insert(this.parse(next.value), ++this.inserted);
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
  // What any subset of the blocks selects is a lower bound too, and blocks with few excepts
  // select the most for the least parsing: they come first, and the rest only while under limit.
  const ipBlocks = rule.peers.flatMap((peer) => (peer.ipBlock ? [peer.ipBlock] : []));
  if (ipBlocks.length === 0) return 0;
  ipBlocks.sort((a, b) => a.except.length - b.except.length);
  // Blocks without excepts select every own prefix inside their cidrs: a count from the trie's
  // subtree sizes, often over the limit already (a policy that allows 0.0.0.0/0 besides).
  const plain = ipBlocks.filter((b) => b.except.length === 0).map((b) => parse(b.cidr));
  if (plain.length > 0) {
    own.grow(limit + 1);
    const inside = own.trie.countInside(plain);
    if (inside > limit) return inside;
  }
  const blocks: BlockShape[] = [];
  let excepts = 0;
  // Doubling batches of own prefixes and of excepts: O(n) in all, O(limit) when over it early.
  for (let batch = Math.max(64, limit + 1); ; batch *= 2) {
    own.grow(batch);
    while (blocks.length < ipBlocks.length) {
      const next = ipBlocks[blocks.length]!;
      if (blocks.length > 0 && excepts + next.except.length > batch) break;
      blocks.push({ cidr: parse(next.cidr), excepts: next.except.map(parse) });
      excepts += next.except.length;
    }
    const count = own.trie.selectedByAny(blocks, limit).size;
    if (count > limit || (own.complete && blocks.length === ipBlocks.length)) return count;
  }
}
