// Owns the detection of own "__proto__" keys, which zod drops from records without an issue.

import type { PathSegment } from "./issues.ts";

/** Deeper than any field of our schemas; below this depth zod never looks, so neither do we. */
const MAX_DEPTH = 32;

/**
 * Paths of every own `__proto__` key in `input` (JSON.parse creates them as ordinary keys). No
 * label, annotation or field may be named so; zod strips such keys from records silently, so the
 * validators report them from here. Iterative and depth-bounded, so nesting cannot overflow.
 */
export function findProtoKeys(input: unknown): PathSegment[][] {
  const found: PathSegment[][] = [];
  const stack: { value: unknown; path: PathSegment[] }[] = [{ value: input, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== "object" || path.length >= MAX_DEPTH) continue;
    // Only objects can hold keys: scalars are not pushed, so a map of 100,000 strings costs a
    // key scan, not 100,000 path copies.
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        if (item !== null && typeof item === "object") stack.push({ value: item, path: [...path, i] });
      });
      continue;
    }
    for (const key of Object.keys(value)) {
      if (key === "__proto__") found.push([...path, key]);
      else {
        const child = (value as Record<string, unknown>)[key];
        if (child !== null && typeof child === "object") stack.push({ value: child, path: [...path, key] });
      }
    }
  }
  return found;
}
