// Owns map-state diffs: from two keyed entry maps to the upserts and removals between them (pure).
import type { MapDelta } from "../../../wire/entries.ts";

/** The changes that turn `before` into `after`; entries are compared by value. */
export function diffMaps<T>(before: ReadonlyMap<string, T>, after: ReadonlyMap<string, T>): MapDelta<T> {
  const delta: MapDelta<T> = { upsert: [], remove: [] };
  for (const [key, value] of after) {
    const old = before.get(key);
    if (old === undefined || !sameEntry(old, value)) delta.upsert.push(value);
  }
  for (const [key, value] of before) if (!after.has(key)) delta.remove.push(value);
  return delta;
}

/** Shallow equality of two flat entry objects. */
export function sameEntry<T>(a: T, b: T): boolean {
  if (a === b) return true;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra);
  if (keys.length !== Object.keys(rb).length) return false;
  return keys.every((k) => ra[k] === rb[k]);
}

export function isEmptyDelta(d: MapDelta<unknown>): boolean {
  return d.upsert.length === 0 && d.remove.length === 0;
}
