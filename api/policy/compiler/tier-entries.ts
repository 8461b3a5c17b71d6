// Owns the precedence of cluster-tier entries inside the longest-prefix-match policy map. The map
// returns, for a packet, the most specific entry under one remote identity; a tier needs the entry
// of best precedence among all that match. Dropping every tier entry that a containing entry
// (same set, tier, direction and remote; any protocol, or the same protocol with a shorter port
// prefix) outranks makes the two agree: the best matching entry is never shadowed, so it stays,
// and every more specific matching entry is shadowed by it, so it is gone.
import { type PolicyEntry, PROTO, policyKey, portPrefixMask, tierOrder } from "../../../wire/entries.ts";

/** Removes, in place, the tier entries a containing tier entry of better precedence shadows. */
export function pruneShadowed(entries: Map<string, PolicyEntry>): void {
  const shadowed: string[] = [];
  for (const [key, e] of entries) {
    if (e.tier === undefined || e.protocol === PROTO.ANY) continue;
    const order = tierOrder(e);
    const containers: PolicyEntry[] = [{ ...e, protocol: PROTO.ANY, port: 0, portPrefixLen: 0 }];
    for (let len = 0; len < e.portPrefixLen; len++) {
      containers.push({ ...e, port: e.port & portPrefixMask(len), portPrefixLen: len });
    }
    for (const c of containers) {
      const found = entries.get(policyKey(c));
      if (found && tierOrder(found) < order) {
        shadowed.push(key);
        break;
      }
    }
  }
  for (const key of shadowed) entries.delete(key);
}
