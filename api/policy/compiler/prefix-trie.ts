// Owns a binary trie of the registered prefixes (one root per family), so that the prefixes an
// ipBlock selects are found by walking the trie under its cidr and skipping its excepts, instead of
// being kept per block. Selecting for b blocks over n prefixes costs O(n x bits + b x excepts),
// where keeping one set per block cost O(n x b) (issue 10 section 1).
import { type Prefix, prefixContains } from "../../../wire/cidr.ts";
import { drain, type Steps, ticker } from "./steps.ts";

interface Node {
  zero: Node | undefined;
  one: Node | undefined;
  /** Registered prefixes at or below this node (to prune empty subtrees). */
  count: number;
  /** The identity of the prefix ending exactly here, if registered. */
  id: number | undefined;
}

/** An ipBlock as the trie walk sees it: a cidr and the excepts inside it. */
export interface BlockShape {
  cidr: Prefix;
  excepts: readonly Prefix[];
}

/** Per-node marks of one walk: the blocks whose cidr starts here, and those an except ends here. */
interface MarkNode {
  zero: MarkNode | undefined;
  one: MarkNode | undefined;
  on: number[];
  off: number[];
}

/** One node of the walk's stack: entered once its marks are applied, left once its subtree is done. */
interface Frame {
  node: Node | undefined;
  m: MarkNode | undefined;
  entered: boolean;
}

/** Trie nodes visited per step. */
const NODES_PER_STEP = 4_096;

const newNode = (): Node => ({ zero: undefined, one: undefined, count: 0, id: undefined });
const newMark = (): MarkNode => ({ zero: undefined, one: undefined, on: [], off: [] });

function bit(p: Prefix, i: number): number {
  return (p.bytes[i >> 3]! >> (7 - (i & 7))) & 1;
}

export class PrefixTrie {
  private readonly roots = new Map<number, Node>();

  insert(p: Prefix, id: number): void {
    let root = this.roots.get(p.family);
    if (!root) this.roots.set(p.family, (root = newNode()));
    const path: Node[] = [root];
    let node = root;
    for (let i = 0; i < p.prefixLen; i++) {
      const side = bit(p, i) ? "one" : "zero";
      node = node[side] ?? (node[side] = newNode());
      path.push(node);
    }
    if (node.id !== undefined) {
      node.id = id;
      return;
    }
    node.id = id;
    for (const n of path) n.count++;
  }

  delete(p: Prefix): void {
    const root = this.roots.get(p.family);
    if (!root) return;
    const path: Node[] = [root];
    let node: Node | undefined = root;
    for (let i = 0; i < p.prefixLen && node; i++) {
      node = bit(p, i) ? node.one : node.zero;
      if (node) path.push(node);
    }
    if (!node || node.id === undefined) return;
    node.id = undefined;
    for (const n of path) n.count--;
    // Prune emptied nodes from the bottom up.
    for (let i = path.length - 1; i > 0; i--) {
      if (path[i]!.count > 0) break;
      const parent = path[i - 1]!;
      if (parent.zero === path[i]) parent.zero = undefined;
      else parent.one = undefined;
    }
  }

  /** How many registered prefixes lie inside at least one of `cidrs` (each counted once). */
  countInside(cidrs: readonly Prefix[]): number {
    const outermost: Prefix[] = [];
    for (const c of [...cidrs].sort((a, b) => a.prefixLen - b.prefixLen)) {
      if (!outermost.some((o) => prefixContains(o, c))) outermost.push(c);
    }
    let total = 0;
    for (const c of outermost) {
      let node = this.roots.get(c.family);
      for (let i = 0; i < c.prefixLen && node; i++) node = bit(c, i) ? node.one : node.zero;
      total += node?.count ?? 0;
    }
    return total;
  }

  /**
   * The identities of the registered prefixes that at least one block selects: inside its cidr and
   * outside all of its excepts. One walk of the trie under the blocks' cidrs, counting how many
   * blocks are "on" along the path; O(visited nodes + blocks x excepts x bits).
   */
  selectedByAny(blocks: readonly BlockShape[], limit = Number.POSITIVE_INFINITY): Set<number> {
    return drain(this.selectedByAnySteps(blocks, limit));
  }

  /** selectedByAny in steps (steps.ts): a block's marks, or some thousands of visited nodes, each. */
  *selectedByAnySteps(blocks: readonly BlockShape[], limit = Number.POSITIVE_INFINITY): Steps<Set<number>> {
    const out = new Set<number>();
    const marks = new Map<number, MarkNode>();
    // Marks only where registered prefixes are: a cidr or except with none under it changes
    // nothing, and marking it would cost a node per bit.
    const mark = (p: Prefix): MarkNode | undefined => {
      let node = this.roots.get(p.family);
      if (!node) return undefined;
      for (let i = 0; i < p.prefixLen && node; i++) node = bit(p, i) ? node.one : node.zero;
      if (!node || node.count === 0) return undefined;
      let m = marks.get(p.family);
      if (!m) marks.set(p.family, (m = newMark()));
      for (let i = 0; i < p.prefixLen; i++) {
        const side = bit(p, i) ? "one" : "zero";
        m = m[side] ?? (m[side] = newMark());
      }
      return m;
    };
    for (const [index, b] of blocks.entries()) {
      const on = mark(b.cidr);
      if (!on) continue;
      on.on.push(index);
      for (const e of b.excepts) mark(e)?.off.push(index);
      yield;
    }
    const onPath = new Uint8Array(blocks.length);
    const excluded = new Uint32Array(blocks.length);
    let active = 0;
    const enter = (m: MarkNode) => {
      for (const b of m.on) {
        onPath[b] = 1;
        if (excluded[b] === 0) active++;
      }
      for (const b of m.off) {
        excluded[b] = excluded[b]! + 1;
        if (excluded[b] === 1 && onPath[b]) active--;
      }
    };
    const leave = (m: MarkNode) => {
      for (const b of m.off) {
        excluded[b] = excluded[b]! - 1;
        if (excluded[b] === 0 && onPath[b]) active++;
      }
      for (const b of m.on) {
        onPath[b] = 0;
        if (excluded[b] === 0) active--;
      }
    };
    // A depth-first walk with its own stack (zero side first), so that it can stop between nodes.
    // Once over `limit` the caller has its answer (a lower bound): the walk stops descending.
    const step = ticker(NODES_PER_STEP);
    for (const [family, rootMark] of marks) {
      const stack: Frame[] = [{ node: this.roots.get(family), m: rootMark, entered: false }];
      while (stack.length > 0) {
        const f = stack[stack.length - 1]!;
        if (f.entered) {
          stack.pop();
          if (f.m) leave(f.m);
          continue;
        }
        const { node, m } = f;
        if (!node || node.count === 0 || out.size > limit || (!m && active === 0)) {
          stack.pop();
          continue;
        }
        f.entered = true;
        if (m) enter(m);
        if (active > 0 && node.id !== undefined) out.add(node.id);
        stack.push({ node: node.one, m: m?.one, entered: false });
        stack.push({ node: node.zero, m: m?.zero, entered: false });
        if (step()) yield;
      }
    }
    return out;
  }
}
