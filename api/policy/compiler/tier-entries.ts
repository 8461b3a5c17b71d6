// Owns the precedence of cluster-tier entries inside the longest-prefix-match policy map. The map
// returns, for a packet, the most specific entry under one remote identity; a tier needs the entry
// of best precedence among all that match. Dropping every tier entry that a containing entry
// (same set, tier, view, direction and remote; any protocol, or the same protocol with a shorter
// port prefix) outranks makes the two agree: the best matching entry is never shadowed, so it
// stays, and every more specific matching entry is shadowed by it, so it is gone.
import { type PolicyEntry, PROTO, policyKey, portPrefixMask, tierOrder } from "../../../wire/entries.ts";

/** Removes, in place, the tier entries a containing tier entry of better precedence shadows. */
export function pruneShadowed(entries: Map<string, PolicyEntry>): void {
  // Only entries that share (tier, view, direction, remote) can contain one another; most remotes
  // of a set have one tier entry, and those need no look-ups at all.
  const groups = new Map<string, [string, PolicyEntry][]>();
  for (const [key, e] of entries) {
    if (e.tier === undefined) continue;
    const group = `${e.tier}/${e.audit ? 1 : 0}/${e.direction}/${e.remoteIdentity}`;
    const list = groups.get(group);
    if (list) list.push([key, e]);
    else groups.set(group, [[key, e]]);
  }
  const shadowed: string[] = [];
  for (const list of groups.values()) {
    if (list.length < 2) continue;
    for (const [key, e] of list) {
      if (e.protocol === PROTO.ANY) continue;
      if (isShadowed(entries, e)) shadowed.push(key);
    }
  }
  for (const key of shadowed) entries.delete(key);
}

function isShadowed(entries: Map<string, PolicyEntry>, e: PolicyEntry): boolean {
  const order = tierOrder(e);
  const outranks = (c: PolicyEntry) => {
    const found = entries.get(policyKey(c));
    return found !== undefined && tierOrder(found) < order;
  };
  if (outranks({ ...e, protocol: PROTO.ANY, port: 0, portPrefixLen: 0 })) return true;
  for (let len = 0; len < e.portPrefixLen; len++) {
    if (outranks({ ...e, port: e.port & portPrefixMask(len), portPrefixLen: len })) return true;
  }
  return false;
}
