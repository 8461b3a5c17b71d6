// Owns /v1/webhook-receivers (admin): inbound receivers, their secret shown once.
import { Hono } from "hono";
import { z } from "zod";
import { readOptionalBody } from "../../http/body.ts";
import { ApiError } from "../../http/errors.ts";
import { parseRequest } from "../../http/zod-issues.ts";
import { requireAdmin } from "../outbound/webhooks.routes.ts";
import type { Webhooks } from "../service.ts";

export const createReceiverSchema = z.strictObject({
  kind: z.enum(["standard", "github"]).default("standard"),
  description: z.string().max(200).default(""),
});

export function receiverRoutes({ receivers }: Webhooks) {
  const app = new Hono<{ Variables: { scope: string } }>();
  app.use(requireAdmin("managing webhook receivers"));
  app.post("/", async (c) => {
    // The body is optional: none, an empty one or a blank one all mean the defaults.
    const body = parseRequest("webhook_receiver", createReceiverSchema, await readOptionalBody(c, {}));
    return c.json(receivers.create(body.kind, body.description), 201);
  });
  app.get("/", (c) => c.json({ items: receivers.list() }));
  app.get("/:id", (c) => {
    const r = receivers.withSecret(c.req.param("id"));
    if (!r)
      throw new ApiError("webhook_receiver.not_found", `no webhook receiver with id ${c.req.param("id")}`);
    const { secret: _, ...view } = r;
    return c.json(view);
  });
  app.delete("/:id", (c) => {
    if (!receivers.delete(c.req.param("id"))) {
      throw new ApiError("webhook_receiver.not_found", `no webhook receiver with id ${c.req.param("id")}`);
    }
    return c.json({ id: c.req.param("id"), deleted: true });
  });
  return app;
}
