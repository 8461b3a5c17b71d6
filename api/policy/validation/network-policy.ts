// Owns validateNetworkPolicy: schema, route identity checks and normalization of a NetworkPolicy object.

import type { NetworkPolicy } from "../model.ts";
import { modeIssues } from "./cluster-network-policy.ts";
import { checkTypeMetaPresent, metadataOf, nameFormats, resolveUrlField } from "./identity.ts";
import { guarded, makeIssue, type Validated, type ValidationIssue } from "./issues.ts";
import { normalizeSpec, sortedRecord } from "./network-policy.normalize.ts";
import { type NetworkPolicyInput, networkPolicyObjectSchema } from "./network-policy.schema.ts";
import { isAbsent, isRecord } from "./refinements.ts";
import { parseWith } from "./zod-issues.ts";

export interface NetworkPolicyValidationOptions {
  /** The namespace from the URL: metadata.namespace must equal it, or be absent and is taken from it. */
  namespace?: string;
  /** The name from the URL: metadata.name must equal it, or be absent and is taken from it. */
  name?: string;
  /** Require apiVersion and kind (bulk apply); when false they may be left out (PUT). Default true. */
  requireTypeMeta?: boolean;
}

function resolveIdentity(input: unknown, opts: NetworkPolicyValidationOptions) {
  const issues: ValidationIssue[] = [];
  if (opts.requireTypeMeta ?? true) issues.push(...checkTypeMetaPresent(input, "NetworkPolicy"));
  // When metadata is present but not an object the schema already said so; no more noise here.
  if (isRecord(input) && !isAbsent(input.metadata) && !isRecord(input.metadata)) {
    return { issues, name: undefined, namespace: undefined };
  }
  const metadata = metadataOf(input);
  const name = resolveUrlField({
    path: ["metadata", "name"],
    body: metadata.name,
    url: opts.name,
    mismatchRule: "name_mismatch",
    format: nameFormats.subdomain,
  });
  const namespace = resolveUrlField({
    path: ["metadata", "namespace"],
    body: metadata.namespace,
    url: opts.namespace,
    mismatchRule: "namespace_mismatch",
    format: nameFormats.label,
  });
  issues.push(...name.issues, ...namespace.issues, ...modeIssues(metadata.annotations));
  return { issues, name: name.value, namespace: namespace.value };
}

function normalize(object: NetworkPolicyInput, name: string, namespace: string): NetworkPolicy {
  return {
    namespace,
    name,
    labels: sortedRecord(object.metadata?.labels),
    annotations: sortedRecord(object.metadata?.annotations),
    spec: normalizeSpec(object.spec),
  };
}

/**
 * Validates an untrusted, already-parsed NetworkPolicy object as the Kubernetes API server does
 * (strict field validation included) and returns the normalized policy, or every issue found.
 */
export function validateNetworkPolicy(
  input: unknown,
  opts: NetworkPolicyValidationOptions = {},
): Validated<NetworkPolicy> {
  return guarded(() => {
    const parsed = parseWith(networkPolicyObjectSchema, input);
    const identity = resolveIdentity(input, opts);
    const issues = [...parsed.issues, ...identity.issues];
    if (issues.length > 0 || !parsed.value || !identity.name || !identity.namespace) {
      if (issues.length === 0) issues.push(makeIssue([], "invalid", "could not be validated", input));
      return { ok: false, issues };
    }
    return { ok: true, value: normalize(parsed.value, identity.name, identity.namespace) };
  });
}
