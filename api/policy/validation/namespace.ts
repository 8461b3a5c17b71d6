// Owns validation of Namespaces: the PUT /v1/namespaces/{name} body and the Kubernetes Namespace object for bulk apply.

import { z } from "zod";
import { NAMESPACE_NAME_LABEL, type Namespace } from "../model.ts";
import { checkDns1123Label } from "./formats.ts";
import { guarded, makeIssue, type PathSegment, type Validated, type ValidationIssue } from "./issues.ts";
import { labelsSchema } from "./labels.schema.ts";
import { namespaceMetadataSchema } from "./metadata.schema.ts";
import { sortedRecord } from "./network-policy.normalize.ts";
import { isRecord } from "./refinements.ts";
import { parseWith } from "./zod-issues.ts";

export const namespaceBodySchema = z
  .strictObject({ labels: labelsSchema.nullish() })
  .meta({ title: "NamespaceBody", description: "Body of PUT /v1/namespaces/{name}." });

export const namespaceObjectSchema = z
  .strictObject({
    apiVersion: z.literal("v1"),
    kind: z.literal("Namespace"),
    metadata: namespaceMetadataSchema,
    spec: z
      .strictObject({ finalizers: z.array(z.string()).nullish() })
      .nullish()
      .meta({ description: "Ignored." }),
    status: z.unknown().optional().meta({ description: "Accepted and ignored." }),
  })
  .meta({ title: "Namespace", description: "A Kubernetes v1 Namespace, as in a bulk apply." });

/** The name label is always the namespace's own name; a different user value is refused. */
function checkNameLabel(labelsPath: PathSegment[], labels: unknown, name: string): ValidationIssue[] {
  if (!isRecord(labels) || !Object.hasOwn(labels, NAMESPACE_NAME_LABEL)) return [];
  const value = labels[NAMESPACE_NAME_LABEL];
  if (value === name) return [];
  const requirement = `must equal the namespace name (${JSON.stringify(name)}) or be left out; it is set automatically`;
  return [makeIssue([...labelsPath, NAMESPACE_NAME_LABEL], "namespace_name_label", requirement, value)];
}

function withNameLabel(name: string, labels: Record<string, string> | null | undefined): Namespace {
  return { name, labels: sortedRecord({ ...labels, [NAMESPACE_NAME_LABEL]: name }) };
}

/** Validates `PUT /v1/namespaces/{name}`: the name from the URL and a body `{"labels": {...}}` (which may be absent). */
export function validateNamespace(name: string, body: unknown): Validated<Namespace> {
  return guarded(() => {
    const parsed = parseWith(namespaceBodySchema, body === undefined ? {} : body);
    const issues = [...parsed.issues];
    for (const problem of checkDns1123Label(String(name))) {
      issues.push(
        makeIssue(["name"], problem.rule, `${problem.requirement} (the namespace name from the URL)`, name),
      );
    }
    if (isRecord(body)) issues.push(...checkNameLabel(["labels"], body.labels, name));
    if (issues.length > 0 || !parsed.value) return { ok: false, issues };
    return { ok: true, value: withNameLabel(name, parsed.value.labels) };
  });
}

/** Validates a `{apiVersion: "v1", kind: "Namespace", metadata: {name, labels}}` object. */
export function validateNamespaceObject(input: unknown): Validated<Namespace> {
  return guarded(() => {
    const parsed = parseWith(namespaceObjectSchema, input);
    const issues = [...parsed.issues];
    const metadata = isRecord(input) && isRecord(input.metadata) ? input.metadata : {};
    if (typeof metadata.name === "string") {
      issues.push(...checkNameLabel(["metadata", "labels"], metadata.labels, metadata.name));
    }
    if (issues.length > 0 || !parsed.value) return { ok: false, issues };
    return { ok: true, value: withNameLabel(parsed.value.metadata.name, parsed.value.metadata.labels) };
  });
}
