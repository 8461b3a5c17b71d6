// Owns the size limits of an object's parts (labels, rules, peers, ports, excepts): the numbers,
// and the checks that refuse a larger object at validation, before the compiler sees it. The
// README's "Limits" table documents these numbers and why they were chosen.

import { memberCount } from "./cut-objects.ts";
import { annotationBytes } from "./formats.ts";
import { type Ctx, isRecord, report } from "./refinements.ts";

export const objectLimits = {
  /** Labels per object (and matchLabels per selector). Kubernetes sets no count; 64 is far above real use. */
  labels: 64,
  /** Bytes of label keys and values per object: a 16th of Kubernetes' 256 KiB annotation budget. */
  labelBytes: 16 * 1024,
  /** `except` entries per ipBlock. */
  excepts: 256,
  /** Peers (`from` / `to`) per rule. */
  peers: 128,
  /** Ports per rule. */
  ports: 128,
  /** Rules per policy direction (`ingress`, `egress`). */
  rules: 256,
  /**
   * Prefixes one NetworkPolicy names: every ipBlock's cidr and excepts, over all its rules. Each is
   * an ipcache entry on every node (131,072 by default), and each is an entry in every set the
   * policy reaches: this bounds what one write can ask the compiler to build.
   */
  prefixes: 16_384,
  /**
   * Members of any one object of a JSON body: far above every field's own limit (64 labels), and
   * the reader cuts a wider object before parsing it (api/http/json-scan.ts).
   */
  members: 4096,
} as const;

/** A refinement refusing arrays longer than `max` with `rule` (a stable code, e.g. too_many_peers). */
export function maxItems(max: number, rule: string, noun: string) {
  return (value: unknown, ctx: Ctx): void => {
    if (!Array.isArray(value) || value.length <= max) return;
    report(ctx, [], rule, `may list at most ${max} ${noun}`, value);
  };
}

/** Refuses a label set with more than objectLimits.labels labels or objectLimits.labelBytes bytes. */
export function checkLabelLimits(labels: unknown, ctx: Ctx): void {
  if (!isRecord(labels)) return;
  // The size the client sent, also when the reader cut the map before parsing it.
  const count = memberCount(labels);
  if (count > objectLimits.labels) {
    report(ctx, [], "too_many_labels", `may hold at most ${objectLimits.labels} labels`, labels);
    return;
  }
  const bytes = annotationBytes(labels);
  if (bytes > objectLimits.labelBytes) {
    report(
      ctx,
      [],
      "labels_too_large",
      `must hold at most ${objectLimits.labelBytes} bytes of keys and values in total (the value is the size received)`,
      bytes,
    );
  }
}
