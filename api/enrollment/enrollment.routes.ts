// Owns /v1/enrollment-tokens (admin) and POST /v1/enroll (open, rate-limited on failures).
import { getConnInfo } from "@hono/node-server/conninfo";
import { Hono } from "hono";
import { z } from "zod";
import { enrollRequestSchema } from "../../wire/enroll.ts";
import { readBody } from "../http/body.ts";
import { ApiError } from "../http/errors.ts";
import { parseRequest } from "../http/zod-issues.ts";
import type { EnrollmentRepository } from "./enrollment.repository.ts";
import { FailureLimiter } from "./rate-limit.ts";

export const createEnrollmentTokenSchema = z.strictObject({
  ttlSeconds: z.number().int().min(60).max(31_536_000).default(3600),
  maxUses: z.number().int().min(1).max(100_000).default(1),
  description: z.string().max(200).default(""),
  allowReenroll: z.boolean().default(false),
});

export function enrollmentTokenRoutes(repo: EnrollmentRepository) {
  const app = new Hono<{ Variables: { scope: string } }>();
  app.use(async function requireAdmin(c, next) {
    if (c.get("scope") !== "admin")
      throw new ApiError("auth.forbidden", "enrollment tokens need an admin token");
    return next();
  });
  app.post("/", async (c) => {
    const body = parseRequest("enrollment_token", createEnrollmentTokenSchema, await readBody(c));
    return c.json(repo.createToken(body), 201);
  });
  app.get("/", (c) => c.json({ items: repo.listTokens() }));
  app.delete("/:id", (c) => {
    if (!repo.revokeToken(c.req.param("id"))) {
      throw new ApiError(
        "enrollment_token.not_found",
        `no live enrollment token with id ${c.req.param("id")}`,
      );
    }
    return c.json({ id: c.req.param("id"), revoked: true });
  });
  return app;
}

export function enrollRoutes(
  repo: EnrollmentRepository,
  onEnrolled: (node: string) => void,
  limiter = new FailureLimiter(),
) {
  const app = new Hono();
  app.post("/", async (c) => {
    const client = clientAddress(c);
    // A lockout refuses only failures: a valid token is still accepted from a locked-out address,
    // so one client failing behind a shared address (NAT, proxy) cannot lock out the others.
    const lockedOut = !limiter.allowed(client);
    try {
      const body = parseRequest("enroll", enrollRequestSchema, await readBody(c));
      const result = repo.enroll(body.token, body.node, body.agentVersion);
      onEnrolled(result.node);
      return c.json(result);
    } catch (err) {
      limiter.fail(client);
      if (!lockedOut) throw err;
      throw new ApiError(
        "enrollment.rate_limited",
        "too many failed enrollment attempts from this address; retry later",
        { cause: err },
      );
    }
  });
  return app;
}

function clientAddress(c: Parameters<typeof getConnInfo>[0]): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}
