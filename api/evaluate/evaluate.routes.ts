// Owns POST /v1/evaluate: the what-if answer for one flow.
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import { readBody } from "../http/body.ts";
import { ApiError } from "../http/errors.ts";
import { parseRequest } from "../http/zod-issues.ts";
import { Evaluator, evaluateRequestSchema } from "./evaluate.ts";

export function evaluateRoutes({ store }: Deps) {
  const app = new Hono();
  const evaluator = new Evaluator();
  app.post("/", async (c) => {
    const request = parseRequest("evaluate", evaluateRequestSchema, await readBody(c));
    // Never a half-applied write: a sliced one finishes (or is undone) first.
    await store.gate.settled();
    const result = evaluator.evaluate(store.engine, store.revision(), request);
    if (!result.ok) throw new ApiError(result.code, result.message);
    const { ok: _, ...answer } = result;
    return c.json({ ...answer, revision: store.revision() });
  });
  return app;
}
