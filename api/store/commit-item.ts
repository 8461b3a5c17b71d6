// Owns what one write of a group is before the store runs it: its objects (or the function that
// names them at the write's turn), whether it is sure to compile for long, and the check that a
// sliced write's rows, written again at its end, are the rows its compile was planned with.
import type { Change, ObjectWrite } from "../policy/compiler/object-change.ts";
import type { CommitOrigin } from "./origin.ts";

/**
 * One write of a group: its objects and the route that made it. `writes` may be a function, called
 * at the write's turn (after every write submitted before it), for a write that depends on what is
 * stored then; it may be called more than once, must only read, and may throw to refuse the write.
 */
export interface CommitItem {
  writes: ObjectWrite[] | (() => ObjectWrite[]);
  origin: CommitOrigin;
}

/**
 * Objects or prefixes a write names over which its compile is sure to outlast a group's budget
 * (at 10,000 endpoints a prefix costs about 60 us in all: one entry per set it reaches, one in
 * the ipcache); a write under them that still outlasts it is undone and sliced after all.
 */
export const LONG_WRITE = { objects: 512, prefixes: 1_024 } as const;

/** True when the item's writes (as given, not a function) are sure to compile for long. */
export function isLong(item: CommitItem): boolean {
  if (typeof item.writes === "function") return false;
  if (item.writes.length > LONG_WRITE.objects) return true;
  let prefixes = 0;
  for (const w of item.writes) {
    if (w.op !== "upsert" || (w.kind !== "policy" && w.kind !== "clusterpolicy")) continue;
    for (const rule of [...w.value.spec.ingress, ...w.value.spec.egress]) {
      for (const peer of rule.peers) {
        if ("ipBlock" in peer && peer.ipBlock) prefixes += 1 + peer.ipBlock.except.length;
        else if ("networks" in peer) prefixes += peer.networks.length;
      }
    }
    if (prefixes > LONG_WRITE.prefixes) return true;
  }
  return false;
}

export function resolveWrites(item: CommitItem): ObjectWrite[] {
  return typeof item.writes === "function" ? item.writes() : item.writes;
}

/** True when two plans of the same writes name the same rows (the compiler's ids). */
export function sameRows(a: readonly Change[], b: readonly Change[]): boolean {
  return (
    a.length === b.length &&
    a.every((c, i) => {
      const d = b[i]!;
      return c.kind === d.kind && c.op === d.op && ("id" in c ? "id" in d && c.id === d.id : !("id" in d));
    })
  );
}
