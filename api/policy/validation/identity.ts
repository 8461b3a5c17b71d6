// Owns the checks that tie an object's type meta, name and namespace to the route that received it.

import { checkDns1123Label, checkDns1123Subdomain, type FormatProblem } from "./formats.ts";
import { makeIssue, type PathSegment, type ValidationIssue } from "./issues.ts";
import { isAbsent, isRecord } from "./refinements.ts";

/** Requires apiVersion and kind to be present (their values are checked by the schema). */
export function checkTypeMetaPresent(input: unknown, kind: string): ValidationIssue[] {
  if (!isRecord(input)) return [];
  const issues: ValidationIssue[] = [];
  for (const field of ["apiVersion", "kind"]) {
    if (isAbsent(input[field]))
      issues.push(makeIssue([field], "required", `is required for a ${kind} object`));
  }
  return issues;
}

export interface UrlFieldCheck {
  path: PathSegment[];
  /** The value in the body, as received. */
  body: unknown;
  /** The value from the URL, when the route has one. */
  url: string | undefined;
  mismatchRule: string;
  format: (value: string) => FormatProblem[];
}

/**
 * Resolves a name that may come from the body, the URL or both. Empty strings count as absent,
 * as in Kubernetes. Returns the effective value (or undefined) and the issues found; the body
 * value's own format is checked by the schema, a URL value taken over here is checked here.
 */
export function resolveUrlField(check: UrlFieldCheck): {
  value: string | undefined;
  issues: ValidationIssue[];
} {
  const { path, body, url } = check;
  if (!isAbsent(body) && typeof body !== "string") return { value: undefined, issues: [] };
  const given = body === "" || isAbsent(body) ? undefined : body;
  if (url === undefined) {
    if (given === undefined)
      return { value: undefined, issues: [makeIssue(path, "required", "is required")] };
    return { value: given, issues: [] };
  }
  if (given !== undefined && given !== url) {
    const requirement = `must equal the value in the URL (${JSON.stringify(url)}) or be left out`;
    return { value: undefined, issues: [makeIssue(path, check.mismatchRule, requirement, given)] };
  }
  if (given === undefined) {
    const issues = check
      .format(url)
      .map((p) => makeIssue(path, p.rule, `${p.requirement} (taken from the URL)`, url));
    return { value: url, issues };
  }
  return { value: url, issues: [] };
}

/** The metadata object of an input, or {} when it is absent or not an object (the schema reports that). */
export function metadataOf(input: unknown): Record<string, unknown> {
  return isRecord(input) && isRecord(input.metadata) ? input.metadata : {};
}

export const nameFormats = { subdomain: checkDns1123Subdomain, label: checkDns1123Label };
