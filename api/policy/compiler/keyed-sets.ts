// Owns the operations on maps of sets that the compiler's indexes and caches share: an emptied set
// is dropped, so a key is present only while it has values (or a cached entry while it has users).
// The sets made here are journaled (see journal.ts): they may be compiled state.
import { JournaledSet } from "./journal.ts";

export function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new JournaledSet()));
  set.add(value);
}

export function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

/** Adds `user` to the cached entry at `key`, made by `create` when there is none yet. */
export function addUser<K, T extends { users: Set<string> }>(
  cache: Map<K, T>,
  key: K,
  user: string,
  create: () => T,
): void {
  let entry = cache.get(key);
  if (!entry) cache.set(key, (entry = create()));
  entry.users.add(user);
}

/** Drops `user` from the cached entry at `key`; forgets the entry when it has no users left. */
export function dropUser<K>(cache: Map<K, { users: Set<string> }>, key: K, user: string): void {
  const entry = cache.get(key);
  if (!entry) return;
  entry.users.delete(user);
  if (entry.users.size === 0) cache.delete(key);
}
