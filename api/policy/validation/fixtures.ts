// Owns the sample inputs and assertion helpers shared by the validation tests.

import assert from "node:assert/strict";
import type { Validated, ValidationIssue } from "./issues.ts";

/** A small valid NetworkPolicy object; tests copy and change one thing at a time. */
export function basePolicy(): Record<string, unknown> {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "web", namespace: "prod" },
    spec: { podSelector: {} },
  };
}

/** basePolicy with `spec` fields merged in. */
export function policyWithSpec(spec: Record<string, unknown>): Record<string, unknown> {
  return { ...basePolicy(), spec: { podSelector: {}, ...spec } };
}

/** basePolicy whose only ingress rule holds `rule`. */
export function policyWithIngress(rule: Record<string, unknown>): Record<string, unknown> {
  return policyWithSpec({ ingress: [rule] });
}

export function assertOk<T>(result: Validated<T>): T {
  if (!result.ok) assert.fail(`expected success, got issues:\n${JSON.stringify(result.issues, null, 2)}`);
  return result.value;
}

/** Asserts failure with an issue of `rule` at `path`; returns that issue. */
export function assertIssue<T>(result: Validated<T>, path: string, rule: string): ValidationIssue {
  if (result.ok) assert.fail(`expected issue ${rule} at ${path}, got success`);
  const issue = result.issues.find((i) => i.path === path && i.rule === rule);
  if (!issue)
    assert.fail(`expected issue ${rule} at ${path}, got:\n${JSON.stringify(result.issues, null, 2)}`);
  return issue;
}

/** A case of a table: `expect` is "ok" or the [path, rule] of an expected issue. */
export interface Case<I> {
  name: string;
  input: I;
  expect: "ok" | [path: string, rule: string];
}

export function checkCase<T>(result: Validated<T>, expect: Case<unknown>["expect"]): void {
  if (expect === "ok") assertOk(result);
  else assertIssue(result, expect[0], expect[1]);
}
