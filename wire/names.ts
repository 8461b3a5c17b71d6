// Owns the name rules both sides of the wire check: a node is named by a DNS-1123 subdomain, as
// Kubernetes names nodes (the CLI, enrollment, the sync hello and endpoint validation all use this).
import { z } from "zod";

/** One DNS-1123 label, unanchored: lowercase letters, digits and '-', alphanumeric at both ends. */
export const DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
/** A DNS-1123 subdomain, unanchored: dot-separated labels. */
export const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
/** Longest DNS-1123 subdomain, hence longest node name. */
export const DNS1123_SUBDOMAIN_MAX = 253;

/** The node-name pattern, anchored (length is checked apart: see isNodeName). */
export const NODE_NAME = new RegExp(`^${DNS1123_SUBDOMAIN}$`);

export function isNodeName(text: string): boolean {
  return text.length <= DNS1123_SUBDOMAIN_MAX && NODE_NAME.test(text);
}

export const nodeNameSchema = z
  .string()
  .min(1)
  .max(DNS1123_SUBDOMAIN_MAX)
  .regex(NODE_NAME, "must be a DNS-1123 subdomain");
