// Owns the names an agent needs to tell flows in words: policy id -> kind/namespace/name, and each
// endpoint's id, namespace/name, labels, identity and addresses (remote identities' labels come
// from the endpoints that hold them). Revisioned like the map entries: a snapshot carries the whole
// catalog, a delta the changes of its revisions (or, after a catch-up over several, the whole
// catalog again with `replace`). Older agents drop the field (server objects are not strict).
import { z } from "zod";

const u32 = z.number().int().min(0).max(0xffff_ffff);

export const policyNameSchema = z.object({
  id: u32,
  kind: z.string().max(64),
  namespace: z.string().max(253),
  name: z.string().max(253),
});
export type PolicyName = z.infer<typeof policyNameSchema>;

export const endpointNameSchema = z.object({
  endpointId: u32,
  namespace: z.string().max(253),
  name: z.string().max(253),
  node: z.string().max(253),
  identity: u32,
  labels: z.record(z.string(), z.string()),
  addresses: z.array(z.string().max(64)).max(16),
});
export type EndpointName = z.infer<typeof endpointNameSchema>;

export const nameCatalogSchema = z.object({
  policies: z.array(policyNameSchema),
  endpoints: z.array(endpointNameSchema),
});
export type NameCatalog = z.infer<typeof nameCatalogSchema>;

const ref = z.object({ namespace: z.string(), name: z.string() });
const policyRef = ref.extend({ kind: z.string() });

export const namesDeltaSchema = z.object({
  /** When set: the whole catalog; everything not in it is gone. */
  replace: nameCatalogSchema.optional(),
  policies: z.object({ upsert: z.array(policyNameSchema), remove: z.array(policyRef) }).optional(),
  endpoints: z.object({ upsert: z.array(endpointNameSchema), remove: z.array(ref) }).optional(),
});
export type NamesDelta = z.infer<typeof namesDeltaSchema>;

export function policyNameKey(p: { kind: string; namespace: string; name: string }): string {
  return `${p.kind}/${p.namespace}/${p.name}`;
}

export function endpointNameKey(e: { namespace: string; name: string }): string {
  return `${e.namespace}/${e.name}`;
}

/** The catalog as keyed maps, the form both sides diff and apply. */
export interface NameMaps {
  policies: Map<string, PolicyName>;
  endpoints: Map<string, EndpointName>;
}

export function nameMapsOf(c: NameCatalog): NameMaps {
  return {
    policies: new Map(c.policies.map((p) => [policyNameKey(p), p])),
    endpoints: new Map(c.endpoints.map((e) => [endpointNameKey(e), e])),
  };
}

/** Applies a delta in place. */
export function applyNamesDelta(m: NameMaps, d: NamesDelta): void {
  if (d.replace) {
    const fresh = nameMapsOf(d.replace);
    m.policies = fresh.policies;
    m.endpoints = fresh.endpoints;
  }
  for (const r of d.policies?.remove ?? []) m.policies.delete(policyNameKey(r));
  for (const p of d.policies?.upsert ?? []) m.policies.set(policyNameKey(p), p);
  for (const r of d.endpoints?.remove ?? []) m.endpoints.delete(endpointNameKey(r));
  for (const e of d.endpoints?.upsert ?? []) m.endpoints.set(endpointNameKey(e), e);
}
