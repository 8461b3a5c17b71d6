// Owns the schemas for object metadata (ObjectMeta) and DNS-1123 names.

import { z } from "zod";
import { checkDns1123Label, checkDns1123Subdomain, type FormatProblem, limits, patterns } from "./formats.ts";
import { annotationsSchema, labelsSchema } from "./labels.schema.ts";
import { formattedString } from "./refinements.ts";

type Check = (value: string) => FormatProblem[];

/** A check that reports an empty string as a missing value rather than a malformed one. */
export function nonEmpty(check: Check): Check {
  return (value) =>
    value === "" ? [{ rule: "required", requirement: "is required (it is empty)" }] : check(value);
}

export const dns1123SubdomainSchema = formattedString(nonEmpty(checkDns1123Subdomain), {
  pattern: patterns.dns1123Subdomain,
  maxLength: limits.dns1123Subdomain,
});

export const dns1123LabelSchema = formattedString(nonEmpty(checkDns1123Label), {
  pattern: patterns.dns1123Label,
  maxLength: limits.dns1123Label,
});

/** Like the schemas above, but "" passes: Kubernetes reads an empty name as an absent one. */
function optionalName(check: Check, pattern: string, max: number) {
  return formattedString((value) => (value === "" ? [] : check(value)), {
    anyOf: [{ pattern, maxLength: max }, { const: "" }],
  }).nullish();
}

/** Server-managed or unsupported ObjectMeta fields: accepted so exported objects round-trip, then ignored. */
const ignored = z.unknown().optional().meta({ description: "Accepted and ignored." });
const ignoredMetadataFields = {
  generateName: ignored,
  selfLink: ignored,
  uid: ignored,
  resourceVersion: ignored,
  generation: ignored,
  creationTimestamp: ignored,
  deletionTimestamp: ignored,
  deletionGracePeriodSeconds: ignored,
  ownerReferences: ignored,
  finalizers: ignored,
  managedFields: ignored,
};

/** Metadata of a namespaced object; name and namespace may come from the URL instead. */
export const namespacedMetadataSchema = z.strictObject({
  name: optionalName(checkDns1123Subdomain, patterns.dns1123Subdomain, limits.dns1123Subdomain),
  namespace: optionalName(checkDns1123Label, patterns.dns1123Label, limits.dns1123Label),
  labels: labelsSchema.nullish(),
  annotations: annotationsSchema.nullish(),
  ...ignoredMetadataFields,
});

/** Metadata of a Namespace: the name is required; a namespace is ignored, as Kubernetes clears it for cluster-scoped objects. */
export const namespaceMetadataSchema = z.strictObject({
  name: dns1123LabelSchema,
  namespace: ignored,
  labels: labelsSchema.nullish(),
  annotations: annotationsSchema.nullish(),
  ...ignoredMetadataFields,
});

/** Metadata of a cluster-scoped object: the name may come from the URL; a namespace is ignored. */
export const clusterMetadataSchema = z.strictObject({
  name: optionalName(checkDns1123Subdomain, patterns.dns1123Subdomain, limits.dns1123Subdomain),
  namespace: ignored,
  labels: labelsSchema.nullish(),
  annotations: annotationsSchema.nullish(),
  ...ignoredMetadataFields,
});
