// Owns POST /v1/apply: a bundle of documents applied all or nothing, as one revision.
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import { readDocuments } from "../http/body.ts";
import { ApiError } from "../http/errors.ts";
import { bundleToWrites } from "./bundle.ts";

export const MAX_BUNDLE_DOCUMENTS = 5_000;

export function applyRoutes({ store }: Deps) {
  const app = new Hono();
  app.post("/", async (c) => {
    const docs = await readDocuments(c, { yaml: true });
    if (docs.length > MAX_BUNDLE_DOCUMENTS) {
      throw new ApiError(
        "apply.too_many_documents",
        `a bundle holds at most ${MAX_BUNDLE_DOCUMENTS} documents, got ${docs.length}`,
      );
    }
    const { writes, issues } = bundleToWrites(docs);
    if (issues.length > 0) throw ApiError.invalid("apply", issues);
    if (writes.length === 0) throw new ApiError("apply.empty", "the bundle holds no documents");
    const { revision, written } = store.commit(writes, { origin: { kind: "apply" } });
    return c.json({ revision, applied: written });
  });
  return app;
}
