// Owns the zod schema of a policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy object, with the
// upstream CRD's rules (every list bounded at 25, one-of unions, start < end) as issues.

import { z } from "zod";
import { checkIanaSvcName } from "./formats.ts";
import { labelSelectorSchema } from "./labels.schema.ts";
import { clusterMetadataSchema } from "./metadata.schema.ts";
import { parseAcceptedCidr } from "./peers.schema.ts";
import { portNameSchema, reportPortRange } from "./ports.schema.ts";
import { always, type Ctx, isAbsent, isRecord, report, reportProblems } from "./refinements.ts";

export const CLUSTER_NETWORK_POLICY_API_VERSION = "policy.networking.k8s.io/v1alpha2";
export const CLUSTER_NETWORK_POLICY_KIND = "ClusterNetworkPolicy";

/** Upstream's bounds (CRD validation of v1alpha2). */
export const clusterLimits = {
  rules: 25,
  peers: 25,
  protocols: 25,
  networks: 25,
  ruleName: 100,
  maxPriority: 1000,
} as const;

/** A list of at most `max` items, at least `min`; `noun` names them in the message. */
function bounded<T extends z.ZodType>(item: T, noun: string, max: number, min: number) {
  return z
    .array(item)
    .superRefine((value, ctx) => {
      if (!Array.isArray(value)) return;
      if (value.length > max) report(ctx, [], `too_many_${noun}`, `may list at most ${max} ${noun}`, value);
      if (value.length < min) report(ctx, [], "min_items", `must list at least ${min} ${noun}`, value);
    }, always)
    .meta({ minItems: min, maxItems: max });
}

/** Exactly one of `fields` must be present (upstream's MinProperties=1, MaxProperties=1). */
function exactlyOne(fields: readonly string[], what: string) {
  return (value: unknown, ctx: Ctx): void => {
    if (!isRecord(value)) return;
    const present = fields.filter((f) => !isAbsent(value[f]));
    if (present.length === 1) return;
    const rule = present.length === 0 ? "one_of_required" : "one_of_exclusive";
    report(ctx, [], rule, `must set exactly one of ${fields.join(", ")} (${what})`, value);
  };
}

const namespacedPodSchema = z.strictObject({
  namespaceSelector: labelSelectorSchema.nullish().meta({ description: "Absent or empty: every namespace." }),
  podSelector: labelSelectorSchema.meta({ description: "Required; empty selects every pod." }),
});

const subjectFields = ["namespaces", "pods"] as const;

export const clusterSubjectSchema = z
  .strictObject({ namespaces: labelSelectorSchema.nullish(), pods: namespacedPodSchema.nullish() })
  .superRefine(exactlyOne(subjectFields, "subject"), always);

function checkNetwork(value: unknown, ctx: Ctx): void {
  parseAcceptedCidr(ctx, [], value);
}

const networksSchema = bounded(
  z.string().superRefine(checkNetwork, always),
  "networks",
  clusterLimits.networks,
  1,
);

export const clusterIngressPeerSchema = z
  .strictObject({ namespaces: labelSelectorSchema.nullish(), pods: namespacedPodSchema.nullish() })
  .superRefine(exactlyOne(subjectFields, "peer"), always);

const egressPeerFields = ["namespaces", "pods", "networks"] as const;

export const clusterEgressPeerSchema = z
  .strictObject({
    namespaces: labelSelectorSchema.nullish(),
    pods: namespacedPodSchema.nullish(),
    networks: networksSchema.nullish(),
  })
  .superRefine(exactlyOne(egressPeerFields, "peer"), always);

function checkRange(range: unknown, ctx: Ctx): void {
  if (!isRecord(range)) return;
  reportPortRange(ctx, ["start"], range.start);
  reportPortRange(ctx, ["end"], range.end);
  const { start, end } = range;
  if (typeof start === "number" && typeof end === "number" && !(start < end)) {
    report(ctx, ["end"], "end_not_after_start", `must be greater than start (${start})`, end);
  }
}

const portNumber = z.number().int().meta({ minimum: 1, maximum: 65535 });

const destinationPortSchema = z
  .strictObject({
    number: portNumber.nullish(),
    range: z.strictObject({ start: portNumber, end: portNumber }).superRefine(checkRange, always).nullish(),
  })
  .superRefine((value, ctx) => {
    if (isRecord(value)) reportPortRange(ctx, ["number"], value.number);
    exactlyOne(["number", "range"], "destination port")(value, ctx);
  }, always);

const protocolMatchSchema = z
  .strictObject({ destinationPort: destinationPortSchema.nullish() })
  .superRefine(exactlyOne(["destinationPort"], "a protocol match needs its destinationPort"), always);

export const clusterProtocolSchema = z
  .strictObject({
    tcp: protocolMatchSchema.nullish(),
    udp: protocolMatchSchema.nullish(),
    sctp: protocolMatchSchema.nullish(),
    destinationNamedPort: portNameSchema.nullish(),
  })
  .superRefine((value, ctx) => {
    if (isRecord(value) && typeof value.destinationNamedPort === "string") {
      reportProblems(
        ctx,
        ["destinationNamedPort"],
        checkIanaSvcName(value.destinationNamedPort),
        value.destinationNamedPort,
      );
    }
    exactlyOne(["tcp", "udp", "sctp", "destinationNamedPort"], "protocol")(value, ctx);
  }, always);

const ruleName = z
  .string()
  .superRefine((value, ctx) => {
    if (typeof value === "string" && value.length > clusterLimits.ruleName) {
      report(ctx, [], "too_long", `must be at most ${clusterLimits.ruleName} characters`, value);
    }
  }, always)
  .meta({ maxLength: clusterLimits.ruleName });

const actionSchema = z.enum(["Accept", "Deny", "Pass"]);

const protocolsSchema = bounded(clusterProtocolSchema, "protocols", clusterLimits.protocols, 1)
  .nullish()
  .meta({ description: "Absent: every protocol and port. Present: at least one entry." });

export const clusterIngressRuleSchema = z.strictObject({
  name: ruleName.nullish(),
  action: actionSchema,
  from: bounded(clusterIngressPeerSchema, "peers", clusterLimits.peers, 1),
  protocols: protocolsSchema,
});

/** Upstream refuses named ports with networks peers: networks have no named ports. */
function checkEgressRule(rule: unknown, ctx: Ctx): void {
  if (!isRecord(rule) || !Array.isArray(rule.to) || !Array.isArray(rule.protocols)) return;
  const networks = rule.to.some((p) => isRecord(p) && !isAbsent(p.networks));
  if (!networks) return;
  rule.protocols.forEach((p, i) => {
    if (isRecord(p) && !isAbsent(p.destinationNamedPort)) {
      report(
        ctx,
        ["protocols", i, "destinationNamedPort"],
        "named_port_with_networks",
        "may not be used in a rule with a networks peer (networks have no named ports)",
        p.destinationNamedPort,
      );
    }
  });
}

export const clusterEgressRuleSchema = z
  .strictObject({
    name: ruleName.nullish(),
    action: actionSchema,
    to: bounded(clusterEgressPeerSchema, "peers", clusterLimits.peers, 1),
    protocols: protocolsSchema,
  })
  .superRefine(checkEgressRule, always);

function checkPriority(value: unknown, ctx: Ctx): void {
  if (typeof value !== "number" || !Number.isInteger(value)) return;
  if (value < 0 || value > clusterLimits.maxPriority) {
    report(ctx, [], "priority_range", `must be an integer from 0 to ${clusterLimits.maxPriority}`, value);
  }
}

export const clusterNetworkPolicySpecSchema = z.strictObject({
  tier: z.enum(["Admin", "Baseline"]),
  priority: z
    .number()
    .int()
    .superRefine(checkPriority, always)
    .meta({ minimum: 0, maximum: clusterLimits.maxPriority, description: "Lower is evaluated first." }),
  subject: clusterSubjectSchema,
  ingress: bounded(clusterIngressRuleSchema, "rules", clusterLimits.rules, 0)
    .nullish()
    .meta({ description: "Absent or empty: the policy does not affect ingress." }),
  egress: bounded(clusterEgressRuleSchema, "rules", clusterLimits.rules, 0)
    .nullish()
    .meta({ description: "Absent or empty: the policy does not affect egress." }),
});

/** The object as sent on PUT or in a bundle; `status` is accepted (exported objects) and ignored. */
export const clusterNetworkPolicyObjectSchema = z
  .strictObject({
    apiVersion: z.literal(CLUSTER_NETWORK_POLICY_API_VERSION).nullish(),
    kind: z.literal(CLUSTER_NETWORK_POLICY_KIND).nullish(),
    metadata: clusterMetadataSchema.nullish(),
    spec: clusterNetworkPolicySpecSchema,
    status: z.unknown().optional().meta({ description: "Accepted and ignored." }),
  })
  .meta({
    title: "ClusterNetworkPolicy",
    description: "A policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy (cluster-scoped).",
  });

export type ClusterNetworkPolicyInput = z.output<typeof clusterNetworkPolicyObjectSchema>;
