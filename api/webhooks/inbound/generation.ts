// Owns the order of inbound bundles (pure): the generation a bundle carries in its signed body
// (the annotation palisade.dev/generation), and the rule that a receiver never applies a bundle
// older than one it applied. Message ids cannot give that order: GitHub does not sign
// X-GitHub-Delivery, so a captured bundle replayed under a new id would roll policy back.
import { ApiError } from "../../http/errors.ts";
import type { ValidationIssue } from "../../policy/validation/index.ts";
import type { ReceiverKind } from "./receivers.repository.ts";

export const GENERATION_ANNOTATION = "palisade.dev/generation";

/** Decimal digits, so any integer up to 15 digits (e.g. Unix milliseconds, a CI run number). */
const GENERATION_PATTERN = /^\d{1,15}$/;

/** The generation of a bundle: the one value its documents' annotations agree on, or null. */
export function bundleGeneration(docs: unknown[]): { generation: number | null; issues: ValidationIssue[] } {
  let generation: number | null = null;
  let first = -1;
  const issues: ValidationIssue[] = [];
  for (const [i, doc] of docs.entries()) {
    const value = annotationOf(doc);
    if (value === undefined) continue;
    const path = `[${i}].metadata.annotations["${GENERATION_ANNOTATION}"]`;
    if (typeof value !== "string" || !GENERATION_PATTERN.test(value)) {
      issues.push({
        path,
        rule: "generation_format",
        message: `${GENERATION_ANNOTATION} must be a decimal integer of at most 15 digits, as a string; got ${JSON.stringify(value).slice(0, 40)}`,
        value: typeof value === "string" ? value.slice(0, 40) : value,
      });
      continue;
    }
    const n = Number(value);
    if (generation === null) {
      generation = n;
      first = i;
    } else if (n !== generation) {
      issues.push({
        path,
        rule: "generation_mismatch",
        message: `${GENERATION_ANNOTATION} is ${n} here but ${generation} in document [${first}]; a bundle has one generation`,
        value,
      });
    }
  }
  return { generation: issues.length > 0 ? null : generation, issues };
}

function annotationOf(doc: unknown): unknown {
  const metadata = (doc as { metadata?: unknown } | null)?.metadata;
  const annotations = (metadata as { annotations?: unknown } | null | undefined)?.annotations;
  if (typeof annotations !== "object" || annotations === null) return undefined;
  return (annotations as Record<string, unknown>)[GENERATION_ANNOTATION];
}

/** What a receiver applied last (its high-water marks). */
export interface ReceiverOrder {
  generation: number | null;
  signedAt: number | null;
}

/** What an incoming message carries: its bundle's generation and, standard only, its signed timestamp. */
export interface IncomingOrder {
  generation: number | null;
  signedAt: number | null;
}

/**
 * Why this message may not be applied after what the receiver applied, or undefined when it may.
 * A GitHub-style receiver signs nothing but the body, so it needs the generation; a receiver that
 * applied a generation needs one greater; a standard message signed before the last one applied
 * is older (equal seconds are allowed: two bundles may be sent within one second).
 */
export function orderRefusal(
  kind: ReceiverKind,
  last: ReceiverOrder,
  incoming: IncomingOrder,
): ApiError | undefined {
  if (incoming.generation === null) {
    if (kind === "github") {
      return new ApiError(
        "hook.generation_missing",
        `a GitHub-style receiver applies only bundles that carry the annotation ${GENERATION_ANNOTATION} (X-GitHub-Delivery is not signed, so the generation is what orders bundles); nothing applied`,
      );
    }
    if (last.generation !== null) {
      return new ApiError(
        "hook.generation_missing",
        `this receiver applied ${GENERATION_ANNOTATION} ${last.generation}: every later bundle must carry a greater one; nothing applied`,
        { details: { lastGeneration: last.generation } },
      );
    }
  } else if (last.generation !== null && incoming.generation <= last.generation) {
    return new ApiError(
      "hook.generation_stale",
      `the bundle's ${GENERATION_ANNOTATION} ${incoming.generation} is not greater than ${last.generation}, the last one this receiver applied; nothing applied`,
      { details: { generation: incoming.generation, lastGeneration: last.generation } },
    );
  }
  if (incoming.signedAt !== null && last.signedAt !== null && incoming.signedAt < last.signedAt) {
    return new ApiError(
      "hook.generation_stale",
      `webhook-timestamp ${incoming.signedAt} is older than ${last.signedAt}, the last message this receiver applied; nothing applied`,
      { details: { signedAt: incoming.signedAt, lastSignedAt: last.signedAt } },
    );
  }
  return undefined;
}
