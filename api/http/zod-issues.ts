// Parses API request bodies (not policy objects) with zod, reporting issues as policy validation
// does: unknown fields at their own path, missing and wrong-typed fields told apart.
import type { z } from "zod";
import { parseWith } from "../policy/validation/zod-issues.ts";
import type { InvalidKind } from "./error-codes.ts";
import { ApiError } from "./errors.ts";

/** The parsed body, or a 422 `<kind>.invalid` listing every issue. */
export function parseRequest<S extends z.ZodType>(kind: InvalidKind, schema: S, body: unknown): z.output<S> {
  const { value, issues } = parseWith(schema, body);
  if (issues.length > 0 || value === undefined) throw ApiError.invalid(kind, issues);
  return value;
}
