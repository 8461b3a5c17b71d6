// Owns /v1/tokens: an admin creates, lists and revokes API tokens.
import { Hono } from "hono";
import { z } from "zod";
import type { Deps } from "../deps.ts";
import { readBody } from "../http/body.ts";
import { ApiError } from "../http/errors.ts";
import { parseRequest } from "../http/zod-issues.ts";

export const createTokenSchema = z.strictObject({
  scope: z.enum(["admin", "read"]),
  description: z.string().max(200).default(""),
});

export function tokenRoutes({ tokens }: Deps) {
  const app = new Hono<{ Variables: { scope: string } }>();
  app.use(async function requireAdmin(c, next) {
    if (c.get("scope") !== "admin")
      throw new ApiError("auth.forbidden", "managing tokens needs an admin token");
    return next();
  });
  app.post("/", async (c) => {
    const { scope, description } = parseRequest("token", createTokenSchema, await readBody(c));
    return c.json(tokens.create(scope, description), 201);
  });
  app.get("/", (c) => c.json({ items: tokens.list() }));
  app.delete("/:id", (c) => {
    if (!tokens.revoke(c.req.param("id"))) {
      throw new ApiError("token.not_found", `no live token with id ${c.req.param("id")}`);
    }
    return c.json({ id: c.req.param("id"), revoked: true });
  });
  return app;
}
