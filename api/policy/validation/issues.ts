// Owns the validation result types and how an issue's path, value and message are written.

import { memberCount } from "./cut-objects.ts";

export interface ValidationIssue {
  /** JSON path rooted at the validated object, e.g. `spec.ingress[0].from[1].ipBlock.except[0]`. */
  path: string;
  /** Stable snake_case code callers may branch on. */
  rule: string;
  /** A full sentence naming the field, the rule and the value received. */
  message: string;
  /** The offending value, bounded in size (long strings truncated, deep structures summarised). */
  value?: unknown;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

export type PathSegment = string | number;

const MAX_STRING = 200;
const MAX_DEPTH = 3;
const MAX_ENTRIES = 20;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `["spec", "ingress", 0, "from"]` -> `spec.ingress[0].from`; keys that are not identifiers are quoted. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function truncate(text: string): string {
  return text.length > MAX_STRING ? `${text.slice(0, MAX_STRING)}...` : text;
}

/**
 * A copy of `value` safe to serialise in an error answer: strings over 200 characters are
 * truncated, and containers deeper than a few levels or longer than a few entries are summarised,
 * so a hostile, deeply nested input cannot make the error itself expensive or overflow the stack.
 */
export function previewValue(value: unknown, depth = 0, ownKeys?: string[]): unknown {
  if (typeof value === "string") return truncate(value);
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    if (depth >= MAX_DEPTH) return `[array of ${plural(value.length, "item")}]`;
    const items = value.slice(0, MAX_ENTRIES).map((item) => previewValue(item, depth + 1));
    if (value.length > MAX_ENTRIES) items.push(`... ${value.length - MAX_ENTRIES} more`);
    return items;
  }
  const keys = ownKeys ?? Object.keys(value);
  // A map cut before parsing (cut-objects.ts) is previewed with the size the client sent.
  const total = memberCount(value, keys);
  if (depth >= MAX_DEPTH) return `{object with ${plural(total, "key")}}`;
  const entries = keys
    .slice(0, MAX_ENTRIES)
    .map((key) => [truncate(key), previewValue((value as Record<string, unknown>)[key], depth + 1)]);
  if (total > MAX_ENTRIES) entries.push(["...", `${total - MAX_ENTRIES} more keys`]);
  return Object.fromEntries(entries);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** A short human description of a received value, for messages. */
export function describeValue(value: unknown, ownKeys?: string[]): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${plural(value.length, "item")}`;
  if (typeof value === "object") return `an object with ${plural(memberCount(value, ownKeys), "key")}`;
  if (typeof value === "string") return JSON.stringify(truncate(value));
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return typeof value;
}

/**
 * Builds an issue. `requirement` completes "Field X ...", e.g. "must be a valid CIDR"; the
 * message adds the value received. Pass `value` as undefined for issues about an absent field.
 */
export function makeIssue(
  path: readonly PathSegment[],
  rule: string,
  requirement: string,
  value?: unknown,
): ValidationIssue {
  const where = path.length === 0 ? "The input" : `Field ${formatPath(path)}`;
  // A large object's keys are listed once for both the message and the preview.
  const keys =
    value !== null && typeof value === "object" && !Array.isArray(value) ? Object.keys(value) : undefined;
  const received = value === undefined ? "" : `; received ${describeValue(value, keys)}`;
  const issue: ValidationIssue = {
    path: formatPath(path),
    rule,
    message: `${where} ${requirement}${received}.`,
  };
  if (value !== undefined) issue.value = previewValue(value, 0, keys);
  return issue;
}

/**
 * Runs a validator so that it never throws: an unexpected exception (a bug, or a stack
 * overflow on pathological input) becomes an `internal_error` issue instead of a 500.
 */
export function guarded<T>(validate: () => Validated<T>): Validated<T> {
  try {
    return validate();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, issues: [makeIssue([], "internal_error", `could not be validated (${reason})`)] };
  }
}
