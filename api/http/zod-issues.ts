// Maps zod errors of API request bodies (not policy objects) to the API's issue list.
import type { z } from "zod";
import type { ValidationIssue } from "../policy/validation/index.ts";

export function issuesFromZod(err: z.ZodError): ValidationIssue[] {
  return err.issues.map((i) => ({
    path: i.path
      .map((p, n) => (typeof p === "number" ? `[${p}]` : n === 0 ? String(p) : `.${String(p)}`))
      .join(""),
    rule: i.code,
    message: i.message,
  }));
}
