// Owns what validation knows about objects the body reader cut before parsing (api/http/json-scan.ts):
// an object of a JSON body with more than objectLimits.members members is parsed with only its
// first members, so that a 100,000-label map is not parsed and listed in full just to be refused.
// The cut object keeps its true size here, so that limits and error previews report what the
// client sent, and parseWith refuses any input still holding a cut object: cut data is never
// accepted, whichever field it was in.
import type { PathSegment } from "./issues.ts";

/** A cut object below some input: where it is, relative to that input, and how many members it had. */
export interface CutObject {
  path: PathSegment[];
  members: number;
  /** The cut object itself (its first members), for the preview. */
  value: object | undefined;
}

const sizes = new WeakMap<object, number>();
const within = new WeakMap<object, CutObject[]>();

/**
 * Records that the object at `path` below `root` was cut from `members` members. Every container
 * on the path learns of it (with the path from there), so a validator given a part of the body
 * (one document of a bundle, an admission review's object) still sees it.
 */
export function markCut(root: unknown, path: readonly PathSegment[], members: number): void {
  const chain: object[] = [];
  let node: unknown = root;
  for (let depth = 0; depth <= path.length && node !== null && typeof node === "object"; depth++) {
    chain.push(node);
    if (depth < path.length) node = (node as Record<string | number, unknown>)[path[depth]!];
  }
  // The path always resolves in what the reader parsed; if it did not, the root still knows.
  const value = chain.length === path.length + 1 ? chain[path.length] : undefined;
  if (value) sizes.set(value, members);
  chain.forEach((container, depth) => {
    const list = within.get(container) ?? [];
    list.push({ path: path.slice(depth), members, value });
    within.set(container, list);
  });
}

/** The cut objects at or below `input` (none for anything the reader did not cut). */
export function cutObjectsIn(input: unknown): readonly CutObject[] {
  return input !== null && typeof input === "object" ? (within.get(input) ?? []) : [];
}

/** How many members `value` had as the client sent it: its own keys, or its size before the cut. */
export function memberCount(value: object, ownKeys?: readonly string[]): number {
  return sizes.get(value) ?? (ownKeys ?? Object.keys(value)).length;
}
