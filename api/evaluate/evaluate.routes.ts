// Owns POST /v1/evaluate: the what-if answer for one flow.
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import { readBody } from "../http/body.ts";
import { ApiError } from "../http/errors.ts";
import { issuesFromZod } from "../http/zod-issues.ts";
import { Evaluator, evaluateRequestSchema } from "./evaluate.ts";

export function evaluateRoutes({ store }: Deps) {
  const app = new Hono();
  const evaluator = new Evaluator();
  app.post("/", async (c) => {
    const parsed = evaluateRequestSchema.safeParse(await readBody(c));
    if (!parsed.success) throw ApiError.invalid("evaluate", issuesFromZod(parsed.error));
    const result = evaluator.evaluate(store.engine, store.revision(), parsed.data);
    if (!result.ok) throw new ApiError(404, result.code, result.message);
    const { ok: _, ...answer } = result;
    return c.json({ ...answer, revision: store.revision() });
  });
  return app;
}
