// Owns the translation of zod issues into ValidationIssues (paths, rule codes, messages).

import type { z } from "zod";
import { cutObjectsIn } from "./cut-objects.ts";
import { formatPath, makeIssue, type PathSegment, type ValidationIssue } from "./issues.ts";
import { objectLimits } from "./object-limits.ts";
import { findProtoKeys } from "./proto-keys.ts";

type ZodIssue = z.core.$ZodIssue;

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "a boolean",
  object: "an object",
  record: "an object",
  array: "an array",
};

function toPath(path: readonly PropertyKey[]): PathSegment[] {
  return path.map((segment) => (typeof segment === "number" ? segment : String(segment)));
}

function listValues(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(", ");
}

/** One zod issue becomes one or more ValidationIssues (unknown keys: one per key). */
function translate(issue: ZodIssue): ValidationIssue[] {
  const path = toPath(issue.path);
  switch (issue.code) {
    case "custom": {
      const params = issue.params ?? {};
      const rule = typeof params.rule === "string" ? params.rule : "invalid";
      return [makeIssue(path, rule, issue.message, "value" in params ? params.value : issue.input)];
    }
    case "invalid_type":
      if (issue.input === undefined) return [makeIssue(path, "required", "is required")];
      return [
        makeIssue(path, "invalid_type", `must be ${EXPECTED[issue.expected] ?? issue.expected}`, issue.input),
      ];
    case "unrecognized_keys": {
      const input = (issue.input ?? {}) as Record<string, unknown>;
      return issue.keys.map((key) =>
        makeIssue(
          [...path, key],
          "unknown_field",
          "is not a known field (strict field validation)",
          input[key],
        ),
      );
    }
    case "invalid_value":
      if (issue.input === undefined)
        return [makeIssue(path, "required", `is required (one of ${listValues(issue.values)})`)];
      return [makeIssue(path, "enum", `must be one of ${listValues(issue.values)}`, issue.input)];
    case "invalid_union":
      // Our unions are IntOrString-style; the schema sets a message naming both accepted types.
      return [makeIssue(path, "invalid_type", issue.message, issue.input)];
    default:
      return [makeIssue(path, issue.code ?? "invalid", issue.message.toLowerCase(), issue.input)];
  }
}

export function translateZodIssues(issues: readonly ZodIssue[]): ValidationIssue[] {
  return issues.flatMap(translate);
}

/** `__proto__` keys zod did not already report (it does in strict objects, not in records). */
function protoKeyIssues(input: unknown, reported: readonly ValidationIssue[]): ValidationIssue[] {
  const seen = new Set(reported.map((issue) => issue.path));
  return findProtoKeys(input)
    .filter((path) => !seen.has(formatPath(path)))
    .map((path) =>
      makeIssue(
        path,
        "forbidden_key",
        "is not an allowed key (a label, annotation or field name)",
        "__proto__",
      ),
    );
}

/**
 * Objects the body reader cut before parsing that no issue reported already (a field with its own
 * limit, such as labels, reports its count): cut data must never be accepted, wherever it was.
 */
function cutObjectIssues(input: unknown, reported: readonly ValidationIssue[]): ValidationIssue[] {
  const cut = cutObjectsIn(input);
  if (cut.length === 0) return [];
  const seen = new Set(reported.map((issue) => issue.path));
  return cut
    .filter((c) => !seen.has(formatPath(c.path)))
    .map((c) =>
      makeIssue(c.path, "too_many_members", `may hold at most ${objectLimits.members} members`, c.value),
    );
}

/** Parses with a zod schema and reports every issue in our format. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  input: unknown,
): { value: z.output<S> | undefined; issues: ValidationIssue[] } {
  const result = schema.safeParse(input, { reportInput: true });
  const issues = result.success ? [] : translateZodIssues(result.error.issues);
  issues.push(...protoKeyIssues(input, issues));
  issues.push(...cutObjectIssues(input, issues));
  if (result.success && issues.length === 0) return { value: result.data, issues };
  return { value: undefined, issues };
}
