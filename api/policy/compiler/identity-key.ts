// Owns the key an identity is allocated under: a fixed-size digest of the endpoint's namespace,
// its namespace's labels and its own labels, so that neither the allocator's memory nor the
// stored allocation rows grow with label sets (a 64-label, 16 KiB namespace costs every endpoint
// the same 64 characters as an unlabelled one).
import { createHash } from "node:crypto";
import type { Labels } from "../model.ts";
import { labelsKey } from "../selectors.ts";

/** The canonical text an identity key digests (also the form keys were stored in before digests). */
function canonicalIdentity(namespace: string, namespaceLabels: Labels, labels: Labels): string {
  return JSON.stringify([namespace, labelsKey(namespaceLabels), labelsKey(labels)]);
}

function digest(canonical: string): string {
  return createHash("sha256").update(canonical).digest("hex");
}

/** The identity key of an endpoint with these labels in a namespace with these labels. */
export function identityKey(namespace: string, namespaceLabels: Labels, labels: Labels): string {
  return digest(canonicalIdentity(namespace, namespaceLabels, labels));
}

/**
 * A stored identity key in today's form: keys stored before digests (the canonical JSON text,
 * which starts with "[") become their digest, so their ids stay what they were; others unchanged.
 */
export function currentIdentityKey(stored: string): string {
  return stored.startsWith("[") ? digest(stored) : stored;
}
