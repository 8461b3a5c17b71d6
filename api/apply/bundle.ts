// Turns the documents of a policy bundle (Namespace, NetworkPolicy, ClusterNetworkPolicy, Endpoint) into store writes,
// collecting every document's issues under its index (pure).

import type { ObjectWrite } from "../policy/compiler/object-change.ts";
import type { ValidationIssue } from "../policy/validation/index.ts";
import {
  validateClusterNetworkPolicy,
  validateEndpoint,
  validateNamespaceObject,
  validateNetworkPolicy,
} from "../policy/validation/index.ts";

export const ENDPOINT_API_VERSION = "palisade.dev/v1";

export function bundleToWrites(docs: unknown[]): { writes: ObjectWrite[]; issues: ValidationIssue[] } {
  const namespaceWrites: ObjectWrite[] = [];
  const otherWrites: ObjectWrite[] = [];
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  const prefix = (i: number, list: ValidationIssue[]) =>
    list.map((is) => ({ ...is, path: is.path === "" ? `[${i}]` : `[${i}].${is.path}` }));
  for (const [i, doc] of docs.entries()) {
    const kind = typeof doc === "object" && doc !== null ? (doc as Record<string, unknown>).kind : undefined;
    let key: string | undefined;
    if (kind === "Namespace") {
      const r = validateNamespaceObject(doc);
      if (!r.ok) issues.push(...prefix(i, r.issues));
      else {
        namespaceWrites.push({ kind: "namespace", op: "upsert", value: r.value });
        key = `Namespace/${r.value.name}`;
      }
    } else if (kind === "NetworkPolicy") {
      const r = validateNetworkPolicy(doc, { requireTypeMeta: true });
      if (!r.ok) issues.push(...prefix(i, r.issues));
      else {
        otherWrites.push({ kind: "policy", op: "upsert", value: r.value, submitted: doc });
        key = `NetworkPolicy/${r.value.namespace}/${r.value.name}`;
      }
    } else if (kind === "ClusterNetworkPolicy") {
      const r = validateClusterNetworkPolicy(doc, { requireTypeMeta: true });
      if (!r.ok) issues.push(...prefix(i, r.issues));
      else {
        otherWrites.push({ kind: "clusterpolicy", op: "upsert", value: r.value, submitted: doc });
        key = `ClusterNetworkPolicy/${r.value.name}`;
      }
    } else if (kind === "Endpoint") {
      const r = validateEndpointDocument(doc as Record<string, unknown>);
      if (!r.ok) issues.push(...prefix(i, r.issues));
      else {
        otherWrites.push({ kind: "endpoint", op: "upsert", value: r.value });
        key = `Endpoint/${r.value.namespace}/${r.value.name}`;
      }
    } else {
      issues.push({
        path: `[${i}].kind`,
        rule: "enum",
        message: `kind must be one of Namespace, NetworkPolicy, ClusterNetworkPolicy, Endpoint; got ${JSON.stringify(kind ?? null)}`,
        value: kind ?? null,
      });
    }
    if (key !== undefined) {
      if (seen.has(key)) {
        issues.push({
          path: `[${i}]`,
          rule: "duplicate",
          message: `${key} appears more than once in the bundle`,
          value: key,
        });
      }
      seen.add(key);
    }
  }
  // Namespaces first, so a bundle may list its namespaces after the objects inside them.
  return { writes: [...namespaceWrites, ...otherWrites], issues };
}

/** `{apiVersion: palisade.dev/v1, kind: Endpoint, metadata: {namespace, name}, spec: {...}}`. */
function validateEndpointDocument(doc: Record<string, unknown>) {
  const meta = (typeof doc.metadata === "object" && doc.metadata !== null ? doc.metadata : {}) as Record<
    string,
    unknown
  >;
  const pre: ValidationIssue[] = [];
  if (doc.apiVersion !== ENDPOINT_API_VERSION) {
    pre.push({
      path: "apiVersion",
      rule: "enum",
      message: `apiVersion must be ${ENDPOINT_API_VERSION}`,
      value: doc.apiVersion ?? null,
    });
  }
  for (const field of ["namespace", "name"] as const) {
    if (typeof meta[field] !== "string") {
      pre.push({
        path: `metadata.${field}`,
        rule: "required",
        message: `metadata.${field} is required`,
        value: meta[field] ?? null,
      });
    }
  }
  if (pre.length > 0) return { ok: false as const, issues: pre };
  const r = validateEndpoint(meta.namespace as string, meta.name as string, doc.spec);
  return r.ok
    ? r
    : { ok: false as const, issues: r.issues.map((is) => ({ ...is, path: `spec.${is.path}` })) };
}
