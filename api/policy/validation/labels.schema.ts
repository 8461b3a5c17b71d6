// Owns the schemas for labels, annotations and label selectors (metav1 validation rules).

import { z } from "zod";
import {
  annotationBytes,
  checkLabelValue,
  checkQualifiedName,
  type FormatProblem,
  limits,
  patterns,
} from "./formats.ts";
import { checkLabelLimits, objectLimits } from "./object-limits.ts";
import { always, type Ctx, formattedString, isRecord, report, reportProblems } from "./refinements.ts";

const QUALIFIED_NAME_MAX = limits.dns1123Subdomain + 1 + limits.qualifiedNamePart;

export const labelKeySchema = formattedString(checkQualifiedName, {
  pattern: patterns.qualifiedName,
  maxLength: QUALIFIED_NAME_MAX,
  description:
    "A qualified name: an optional DNS-1123 subdomain prefix and '/', then a name of at most 63 characters.",
});

export const labelValueSchema = formattedString(checkLabelValue, {
  pattern: patterns.labelValue,
  maxLength: limits.labelValue,
});

function checkKeys(check: (key: string) => FormatProblem[]) {
  return (record: unknown, ctx: Ctx) => {
    if (!isRecord(record)) return;
    for (const key of Object.keys(record)) reportProblems(ctx, [key], check(key), key);
  };
}

const labelsRecordSchema = z
  .record(z.string(), labelValueSchema)
  .superRefine(checkKeys(checkQualifiedName), always);

/**
 * The count and size limits are checked first, on the raw input, and a label set over them gets
 * that one issue without its keys and values being checked: a body of 100,000 labels is refused
 * in the time it takes to count them, not to validate each one (issue 10). The pipe stops on the
 * first stage's issue; the JSON Schema (an input-side view) comes from the meta below.
 */
export const labelsSchema = z
  .unknown()
  .superRefine(checkLabelLimits, always)
  .pipe(labelsRecordSchema)
  .meta({
    type: "object",
    additionalProperties: { type: "string", pattern: patterns.labelValue, maxLength: limits.labelValue },
    propertyNames: { type: "string", pattern: patterns.qualifiedName, maxLength: QUALIFIED_NAME_MAX },
    maxProperties: objectLimits.labels,
    description: `Labels: qualified-name keys, values of at most 63 characters; at most ${objectLimits.labels} labels and ${objectLimits.labelBytes} bytes.`,
  });

/** Annotation keys are qualified names compared case-insensitively, as in Kubernetes. */
function checkAnnotationKey(key: string): FormatProblem[] {
  return checkQualifiedName(key.toLowerCase());
}

export const annotationsSchema = z
  .record(z.string(), z.string())
  .superRefine(checkKeys(checkAnnotationKey), always)
  .superRefine((record, ctx) => {
    if (!isRecord(record)) return;
    const bytes = annotationBytes(record);
    if (bytes > limits.totalAnnotationBytes) {
      report(
        ctx,
        [],
        "too_long",
        `must hold at most ${limits.totalAnnotationBytes} bytes of keys and values in total (the value is the size received)`,
        bytes,
      );
    }
  }, always)
  .meta({ description: "Annotations: qualified-name keys; keys and values at most 256 KiB in total." });

const operators = ["In", "NotIn", "Exists", "DoesNotExist"] as const;

export const labelSelectorRequirementSchema = z
  .strictObject({
    key: labelKeySchema,
    operator: z.enum(operators),
    values: z.array(labelValueSchema).nullish(),
  })
  .superRefine((requirement, ctx) => {
    if (!isRecord(requirement)) return;
    const { operator, values } = requirement;
    const count = Array.isArray(values) ? values.length : 0;
    if ((operator === "In" || operator === "NotIn") && count === 0) {
      report(
        ctx,
        ["values"],
        "required",
        `must list at least one value when operator is ${operator}`,
        values,
      );
    }
    if ((operator === "Exists" || operator === "DoesNotExist") && count > 0) {
      report(ctx, ["values"], "forbidden", `must be empty when operator is ${operator}`, values);
    }
  }, always);

export const labelSelectorSchema = z
  .strictObject({
    matchLabels: labelsSchema.nullish(),
    matchExpressions: z.array(labelSelectorRequirementSchema).nullish(),
  })
  .meta({ description: "A label selector; an empty selector ({}) selects everything." });

export type LabelSelectorInput = z.output<typeof labelSelectorSchema>;
