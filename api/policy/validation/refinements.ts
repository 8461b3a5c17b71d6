// Owns the bridge from Kubernetes rules to zod: custom issues that carry a rule code, and formatted string schemas.

import { z } from "zod";
import type { FormatProblem } from "./formats.ts";
import type { PathSegment } from "./issues.ts";

/** The context a superRefine callback receives. */
export type Ctx = z.core.$RefinementCtx<unknown>;

/**
 * Options for refinements that must run even when zod found structural issues elsewhere in the
 * same object: every issue is reported, not only the first layer. Such callbacks receive a
 * possibly ill-typed value and must check types themselves.
 */
export const always = { when: () => true } as const;

/** Adds one rule violation at `path` (relative to the refined schema). */
export function report(
  ctx: Ctx,
  path: PathSegment[],
  rule: string,
  requirement: string,
  value: unknown,
): void {
  ctx.addIssue({ code: "custom", message: requirement, path, params: { rule, value }, input: value });
}

export function reportProblems(
  ctx: Ctx,
  path: PathSegment[],
  problems: FormatProblem[],
  value: unknown,
): void {
  for (const problem of problems) report(ctx, path, problem.rule, problem.requirement, value);
}

/** A string schema checked by `check`; `jsonSchema` documents the same format in the JSON Schema. */
export function formattedString(
  check: (value: string) => FormatProblem[],
  jsonSchema: Record<string, unknown>,
) {
  return z
    .string()
    .superRefine((value, ctx) => reportProblems(ctx, [], check(value), value))
    .meta(jsonSchema);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Kubernetes decodes JSON null like an absent field; so do we for optional fields. */
export function isAbsent(value: unknown): value is null | undefined {
  return value === undefined || value === null;
}
