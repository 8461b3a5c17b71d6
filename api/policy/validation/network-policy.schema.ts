// Owns the zod schema of a networking.k8s.io/v1 NetworkPolicy object (structure and spec rules).

import { z } from "zod";
import { labelSelectorSchema } from "./labels.schema.ts";
import { namespacedMetadataSchema } from "./metadata.schema.ts";
import { maxItems, objectLimits } from "./object-limits.ts";
import { peerSchema } from "./peers.schema.ts";
import { policyPortSchema } from "./ports.schema.ts";
import { always, type Ctx, isRecord, report } from "./refinements.ts";

export const NETWORK_POLICY_API_VERSION = "networking.k8s.io/v1";

const portsSchema = z
  .array(policyPortSchema)
  .superRefine(maxItems(objectLimits.ports, "too_many_ports", "ports"), always)
  .nullish()
  .meta({ description: "Absent or empty: every port and protocol.", maxItems: objectLimits.ports });

const peersSchema = z
  .array(peerSchema)
  .superRefine(maxItems(objectLimits.peers, "too_many_peers", "peers"), always)
  .nullish()
  .meta({
    description: "Absent or empty: every peer. Several peers are ORed.",
    maxItems: objectLimits.peers,
  });

export const ingressRuleSchema = z.strictObject({ ports: portsSchema, from: peersSchema });

export const egressRuleSchema = z.strictObject({ ports: portsSchema, to: peersSchema });

function rulesSchema<T extends z.ZodType>(rule: T) {
  return z
    .array(rule)
    .superRefine(maxItems(objectLimits.rules, "too_many_rules", "rules"), always)
    .nullish()
    .meta({ maxItems: objectLimits.rules });
}

const policyTypes = ["Ingress", "Egress"] as const;

function checkPolicyTypes(types: unknown, ctx: Ctx): void {
  if (!Array.isArray(types)) return;
  if (types.length > policyTypes.length) {
    report(ctx, [], "max_items", "may not list more than 2 policy types", types);
  }
  const seen = new Set<unknown>();
  types.forEach((type, i) => {
    if (seen.has(type)) report(ctx, [i], "duplicate", "must not repeat a policy type", type);
    seen.add(type);
  });
}

export const policyTypesSchema = z.array(z.enum(policyTypes)).superRefine(checkPolicyTypes, always).meta({
  maxItems: 2,
  uniqueItems: true,
  description: "Absent or empty: Ingress, plus Egress when egress rules exist.",
});

/** Refuses a spec whose ipBlocks name more than objectLimits.prefixes prefixes in all. */
function checkPrefixCount(spec: unknown, ctx: Ctx): void {
  if (!isRecord(spec)) return;
  let count = 0;
  for (const [direction, field] of [
    ["ingress", "from"],
    ["egress", "to"],
  ] as const) {
    const rules = spec[direction];
    if (!Array.isArray(rules)) continue;
    for (const rule of rules) {
      const peers = isRecord(rule) ? rule[field] : undefined;
      if (!Array.isArray(peers)) continue;
      for (const peer of peers) {
        const block = isRecord(peer) ? peer.ipBlock : undefined;
        if (!isRecord(block)) continue;
        count += 1 + (Array.isArray(block.except) ? block.except.length : 0);
      }
    }
  }
  if (count <= objectLimits.prefixes) return;
  report(
    ctx,
    [],
    "too_many_prefixes",
    `may name at most ${objectLimits.prefixes} prefixes in all (each ipBlock's cidr and excepts, over every rule); the value is the count received`,
    count,
  );
}

export const networkPolicySpecSchema = z
  .strictObject({
    podSelector: labelSelectorSchema,
    policyTypes: policyTypesSchema.nullish(),
    ingress: rulesSchema(ingressRuleSchema),
    egress: rulesSchema(egressRuleSchema),
  })
  .superRefine(checkPrefixCount, always);

/**
 * The object as sent on PUT or in a bulk apply. apiVersion and kind are optional here; the
 * validator requires them when the caller asks (bulk apply), and metadata name and namespace
 * when the URL does not provide them.
 */
export const networkPolicyObjectSchema = z
  .strictObject({
    apiVersion: z.literal(NETWORK_POLICY_API_VERSION).nullish(),
    kind: z.literal("NetworkPolicy").nullish(),
    metadata: namespacedMetadataSchema.nullish(),
    spec: networkPolicySpecSchema,
  })
  .meta({ title: "NetworkPolicy", description: "A Kubernetes networking.k8s.io/v1 NetworkPolicy." });

export type NetworkPolicyInput = z.output<typeof networkPolicyObjectSchema>;
