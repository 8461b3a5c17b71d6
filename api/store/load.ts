// Owns rebuilding the compiler from the stored objects with the stored ids (at start, and after a
// compiler error other than a refusal: refusals roll back from the journal), dropping unused ids.
import { eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import {
  allocations,
  clusterNetworkPolicies,
  endpoints,
  meta,
  namespaces,
  networkPolicies,
} from "../../db/schema.ts";
import type { MapSizes } from "../../wire/entries.ts";
import type { AllocationChange } from "../policy/allocator.ts";
import type { StoredAllocation } from "../policy/compiler/assignments.ts";
import { PolicyEngine } from "../policy/compiler/engine.ts";
import { currentIdentityKey } from "../policy/compiler/identity-key.ts";
import type { Change } from "../policy/compiler/object-change.ts";

export const REVISION_KEY = "revision";
export const highWaterKey = (kind: string) => `high_water.${kind}`;

/** The engine over everything stored, and the allocation changes its load made (to persist). */
export function loadEngine(
  db: Db,
  mapSizes: MapSizes | undefined,
): { engine: PolicyEngine; purged: AllocationChange[] } {
  const highWater = Object.fromEntries(
    ["identity", "prefix", "set"].map((k) => [
      k,
      db
        .select()
        .from(meta)
        .where(eq(meta.key, highWaterKey(k)))
        .get()?.value ?? 0,
    ]),
  );
  const { loaded, rewritten } = upgradeKeys(db.select().from(allocations).all());
  const engine = new PolicyEngine({ mapSizes, allocations: loaded, highWater });
  const changes: Change[] = [
    ...db
      .select()
      .from(namespaces)
      .all()
      .map((r): Change => ({ kind: "namespace", op: "upsert", value: JSON.parse(r.spec) })),
    ...db
      .select()
      .from(endpoints)
      .all()
      .map((r): Change => ({ kind: "endpoint", op: "upsert", id: r.id, value: JSON.parse(r.spec) })),
    ...db
      .select()
      .from(networkPolicies)
      .all()
      .map((r): Change => ({ kind: "policy", op: "upsert", id: r.id, value: JSON.parse(r.spec) })),
    ...db
      .select()
      .from(clusterNetworkPolicies)
      .all()
      .map((r): Change => ({ kind: "clusterpolicy", op: "upsert", id: r.id, value: JSON.parse(r.spec) })),
  ];
  // Nothing to journal: if the first load fails, its engine is thrown away.
  engine.apply(changes, { journal: null });
  return { engine, purged: [...rewritten, ...engine.purgeUnusedAllocations()] };
}

/**
 * Identity keys stored before they were digests (the canonical label JSON, as long as the labels)
 * are loaded under their digest with the same id, so identities stay stable; `rewritten` moves
 * their rows to the new key (old row deleted first: ids are unique per kind).
 */
function upgradeKeys(stored: StoredAllocation[]): {
  loaded: StoredAllocation[];
  rewritten: AllocationChange[];
} {
  const rewritten: AllocationChange[] = [];
  const loaded = stored.map((a) => {
    if (a.kind !== "identity") return a;
    const key = currentIdentityKey(a.key);
    if (key === a.key) return a;
    rewritten.push({ kind: a.kind, key: a.key, id: null }, { kind: a.kind, key, id: a.id });
    return { ...a, key };
  });
  return { loaded, rewritten };
}
