// Owns rebuilding the compiler from the stored objects with the stored ids (at start, and after a
// refused write), dropping ids nothing uses any more.
import { eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { allocations, endpoints, meta, namespaces, networkPolicies } from "../../db/schema.ts";
import type { MapSizes } from "../../wire/entries.ts";
import type { AllocationChange } from "../policy/allocator.ts";
import { PolicyEngine } from "../policy/compiler/engine.ts";
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
  const engine = new PolicyEngine({ mapSizes, allocations: db.select().from(allocations).all(), highWater });
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
  ];
  engine.apply(changes);
  return { engine, purged: engine.purgeUnusedAllocations() };
}
