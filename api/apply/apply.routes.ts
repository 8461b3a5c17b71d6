// Owns POST /v1/apply: a bundle of documents applied all or nothing, as one revision.
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import { readBundle } from "./intake.ts";

export function applyRoutes({ store }: Deps) {
  const app = new Hono();
  app.post("/", async (c) => {
    const writes = await readBundle(c, { scope: "apply" });
    const { revision, written } = await store.submit(writes, { origin: { kind: "apply" } });
    return c.json({ revision, applied: written });
  });
  return app;
}
