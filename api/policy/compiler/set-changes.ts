// Owns in-place updates of a policy set's entries during one apply: each changed key's first old
// value is remembered, so the set's delta and its entries before the apply can be derived cheaply.
import type { MapDelta, PolicyEntry } from "../../../wire/entries.ts";
import { sameEntry } from "../../../wire/map-delta.ts";
import { JournaledMap, setField, untracked } from "./journal.ts";
import { addTo, removeFrom } from "./keyed-sets.ts";
import { type Steps, ticker } from "./steps.ts";
import type { PolicySet } from "./types.ts";

export interface SetChange {
  /** Key -> the entry it held before this apply (undefined: none). Only keys that changed. */
  oldValues: Map<string, PolicyEntry | undefined>;
  ingressPolicyId: number;
  egressPolicyId: number;
  setFlags: number;
}

export function beginChange(changes: Map<number, SetChange>, set: PolicySet): SetChange {
  let change = changes.get(set.id);
  if (!change) {
    change = {
      oldValues: new Map(),
      ingressPolicyId: set.ingressPolicyId,
      egressPolicyId: set.egressPolicyId,
      setFlags: set.setFlags,
    };
    changes.set(set.id, change);
  }
  return change;
}

function remember(change: SetChange, key: string, old: PolicyEntry | undefined): void {
  if (!change.oldValues.has(key)) change.oldValues.set(key, old);
}

/**
 * Replaces all entries (a full recompute), keeping the old object where an entry is unchanged; in
 * steps. The new maps are built aside and attached at the end, so the set is whole between steps.
 */
export function* replaceAll(set: PolicySet, next: Map<string, PolicyEntry>, change: SetChange): Steps<void> {
  const step = ticker(ENTRIES_PER_STEP);
  for (const [key, old] of set.entries) {
    if (!next.has(key)) remember(change, key, old);
    if (step()) yield;
  }
  for (const [key, entry] of next) {
    const old = set.entries.get(key);
    if (old && sameEntry(old, entry)) next.set(key, old);
    else remember(change, key, old);
    if (step()) yield;
  }
  // Built unrecorded and attached with one journal record: a rollback puts the old maps back.
  const entries = untracked(() => new JournaledMap<string, PolicyEntry>());
  const byRemote = untracked(() => new JournaledMap<number, Set<string>>());
  const list = [...next];
  for (let from = 0; from < list.length; from += ENTRIES_PER_STEP) {
    untracked(() => {
      for (const [key, entry] of list.slice(from, from + ENTRIES_PER_STEP)) {
        entries.set(key, entry);
        addTo(byRemote, entry.remoteIdentity, key);
      }
    });
    yield;
  }
  setField(set, "entries", entries);
  setField(set, "byRemote", byRemote);
}

/** Entries compared or indexed per step (steps.ts). */
const ENTRIES_PER_STEP = 2_048;

/**
 * Replaces only the entries whose remote identity is in `remotes` (a partial recompute), and of
 * those only the ones `inScope` accepts when given (the part of the set that was computed).
 */
export function replaceRemotes(
  set: PolicySet,
  remotes: ReadonlySet<number>,
  computed: Map<string, PolicyEntry>,
  change: SetChange,
  inScope?: (e: PolicyEntry) => boolean,
): void {
  for (const remote of remotes) {
    for (const key of [...(set.byRemote.get(remote) ?? [])]) {
      if (computed.has(key)) continue;
      if (inScope && !inScope(set.entries.get(key)!)) continue;
      remember(change, key, set.entries.get(key));
      set.entries.delete(key);
      removeFrom(set.byRemote, remote, key);
    }
  }
  for (const [key, entry] of computed) {
    const old = set.entries.get(key);
    if (old && sameEntry(old, entry)) continue;
    remember(change, key, old);
    set.entries.set(key, entry);
    addTo(set.byRemote, entry.remoteIdentity, key);
  }
}

/** What changed in the set during this apply. */
export function setDelta(set: PolicySet, change: SetChange): MapDelta<PolicyEntry> {
  const delta: MapDelta<PolicyEntry> = { upsert: [], remove: [] };
  for (const [key, old] of change.oldValues) {
    const cur = set.entries.get(key);
    if (cur) {
      if (!old || !sameEntry(old, cur)) delta.upsert.push(cur);
    } else if (old) {
      delta.remove.push(old);
    }
  }
  return delta;
}

/** The set's entries as they were before this apply. */
export function entriesBefore(set: PolicySet, change: SetChange | undefined): Iterable<PolicyEntry> {
  if (!change) return set.entries.values();
  const out = new Map(set.entries);
  for (const [key, old] of change.oldValues) {
    if (old) out.set(key, old);
    else out.delete(key);
  }
  return out.values();
}
