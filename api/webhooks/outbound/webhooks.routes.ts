// Owns /v1/webhooks (admin): subscriptions, secret rotation, the delivery log and redelivery.
import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { readBody } from "../../http/body.ts";
import { ApiError } from "../../http/errors.ts";
import { parseRequest } from "../../http/zod-issues.ts";
import type { Webhooks } from "../service.ts";
import { checkDestination, DestinationRefused } from "./destination.ts";
import { EVENT_TYPES } from "./events.ts";

const urlSchema = z
  .string()
  .max(2048)
  .refine((s) => URL.canParse(s), "must be an absolute http or https URL")
  .refine((s) => !URL.canParse(s) || /^https?:$/.test(new URL(s).protocol), "must use http or https")
  .refine(
    (s) => !URL.canParse(s) || (new URL(s).username === "" && new URL(s).password === ""),
    "must not carry credentials (user:password@)",
  );

const eventsSchema = z
  .array(z.enum(["*", ...EVENT_TYPES]))
  .min(1)
  .max(EVENT_TYPES.length + 1);

export const createWebhookSchema = z.strictObject({
  url: urlSchema,
  events: eventsSchema,
  description: z.string().max(200).default(""),
  enabled: z.boolean().default(true),
});

export const updateWebhookSchema = z.strictObject({
  url: urlSchema.optional(),
  events: eventsSchema.optional(),
  description: z.string().max(200).optional(),
  enabled: z.boolean().optional(),
});

export const rotateSchema = z.strictObject({
  graceSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(86_400),
});

const deliveriesQuery = z.strictObject({
  status: z.enum(["pending", "in_flight", "succeeded", "failed"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.coerce.number().int().min(1).optional(),
});

export function requireAdmin(what: string): MiddlewareHandler<{ Variables: { scope: string } }> {
  return async function requireAdminScope(c, next) {
    if (c.get("scope") !== "admin") throw new ApiError("auth.forbidden", `${what} needs an admin token`);
    return next();
  };
}

/** Refuses a URL whose host resolves to an address deliveries may not reach (422). */
async function checkUrl(webhooks: Webhooks, url: string): Promise<void> {
  try {
    await checkDestination(new URL(url), webhooks.policy, webhooks.resolve);
  } catch (err) {
    const refused = err instanceof DestinationRefused;
    const code = refused ? "webhook.destination_refused" : "webhook.destination_unresolvable";
    const message = refused
      ? err.message
      : `could not resolve ${new URL(url).hostname}: ${(err as Error).message}`;
    throw new ApiError(code, message, {
      issues: [{ path: "url", rule: refused ? "destination" : "resolvable", message, value: url }],
      cause: err,
    });
  }
}

export function webhookRoutes(webhooks: Webhooks) {
  const { subscriptions, queue } = webhooks;
  const app = new Hono<{ Variables: { scope: string } }>();
  app.use(requireAdmin("managing webhooks"));
  const found = (id: string) => {
    const sub = subscriptions.get(id);
    if (!sub) throw new ApiError("webhook.not_found", `no webhook with id ${id}`);
    return sub;
  };

  app.post("/", async (c) => {
    const body = parseRequest("webhook", createWebhookSchema, await readBody(c));
    await checkUrl(webhooks, body.url);
    return c.json(subscriptions.create(body), 201);
  });
  app.get("/", (c) => c.json({ items: subscriptions.list() }));
  app.get("/:id", (c) => c.json(found(c.req.param("id"))));
  app.patch("/:id", async (c) => {
    found(c.req.param("id"));
    const patch = parseRequest("webhook", updateWebhookSchema, await readBody(c));
    if (patch.url !== undefined) await checkUrl(webhooks, patch.url);
    const updated = subscriptions.update(c.req.param("id"), patch);
    if (!updated) throw new ApiError("webhook.not_found", `no webhook with id ${c.req.param("id")}`);
    if (patch.enabled) webhooks.worker.kick();
    return c.json(updated);
  });
  app.delete("/:id", (c) => {
    if (!subscriptions.delete(c.req.param("id"))) found(c.req.param("id"));
    return c.json({ id: c.req.param("id"), deleted: true });
  });
  app.post("/:id/rotate-secret", async (c) => {
    found(c.req.param("id"));
    // The body is optional: no body rotates with the default grace period.
    const hasBody = c.req.raw.body !== null && c.req.header("content-length") !== "0";
    const { graceSeconds } = parseRequest("rotate_secret", rotateSchema, hasBody ? await readBody(c) : {});
    return c.json(subscriptions.rotate(c.req.param("id"), graceSeconds));
  });
  app.get("/:id/deliveries", (c) => {
    found(c.req.param("id"));
    const q = parseRequest("deliveries_query", deliveriesQuery, c.req.query());
    const rows = queue.list(c.req.param("id"), q);
    const items = rows.map(({ seq: _, ...view }) => view);
    const last = rows.at(-1);
    return c.json({ items, ...(rows.length === q.limit && last ? { nextBefore: last.seq } : {}) });
  });
  app.get("/:id/deliveries/:deliveryId", (c) => {
    found(c.req.param("id"));
    const { seq: _, ...view } = findDelivery(webhooks, c.req.param("id"), c.req.param("deliveryId"));
    return c.json(view);
  });
  app.post("/:id/deliveries/:deliveryId/redeliver", (c) => {
    const sub = found(c.req.param("id"));
    const original = findDelivery(webhooks, sub.id, c.req.param("deliveryId"));
    if (original.status === "pending" || original.status === "in_flight") {
      throw new ApiError(
        "webhook.delivery_pending",
        `delivery ${original.id} is still ${original.status}; it is retried on its schedule`,
      );
    }
    if (!sub.enabled) {
      throw new ApiError("webhook.disabled", `webhook ${sub.id} is disabled; enable it before redelivering`);
    }
    const id = queue.redeliver(sub.id, original.eventId, webhooks.clock.now());
    webhooks.worker.kick();
    const { seq: _, ...view } = findDelivery(webhooks, sub.id, id);
    return c.json(view, 202);
  });
  return app;
}

function findDelivery(webhooks: Webhooks, webhookId: string, deliveryId: string) {
  const d = webhooks.queue.get(webhookId, deliveryId);
  if (!d)
    throw new ApiError("webhook.delivery_not_found", `webhook ${webhookId} has no delivery ${deliveryId}`);
  return d;
}
