// Owns the zod schema of a networking.k8s.io/v1 NetworkPolicy object (structure and spec rules).

import { z } from "zod";
import { labelSelectorSchema } from "./labels.schema.ts";
import { namespacedMetadataSchema } from "./metadata.schema.ts";
import { peerSchema } from "./peers.schema.ts";
import { policyPortSchema } from "./ports.schema.ts";
import { always, type Ctx, report } from "./refinements.ts";

export const NETWORK_POLICY_API_VERSION = "networking.k8s.io/v1";

const portsSchema = z
  .array(policyPortSchema)
  .nullish()
  .meta({ description: "Absent or empty: every port and protocol." });

const peersDescription = "Absent or empty: every peer. Several peers are ORed.";

export const ingressRuleSchema = z.strictObject({
  ports: portsSchema,
  from: z.array(peerSchema).nullish().meta({ description: peersDescription }),
});

export const egressRuleSchema = z.strictObject({
  ports: portsSchema,
  to: z.array(peerSchema).nullish().meta({ description: peersDescription }),
});

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

export const networkPolicySpecSchema = z.strictObject({
  podSelector: labelSelectorSchema,
  policyTypes: policyTypesSchema.nullish(),
  ingress: z.array(ingressRuleSchema).nullish(),
  egress: z.array(egressRuleSchema).nullish(),
});

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
