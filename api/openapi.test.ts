import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openTestDatabase } from "../db/testing.ts";
import { createDeps } from "./deps.ts";
import { openApiDocument } from "./openapi.ts";
import { createApp } from "./server.ts";

describe("OpenAPI document", () => {
  it("describes every route the app serves", () => {
    const deps = createDeps(openTestDatabase(), { adminToken: "t", log: () => {} });
    const app = createApp(deps);
    const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
    const missing = app.routes
      .filter((r) => r.method !== "ALL" && !r.path.endsWith("*"))
      .map((r) => ({
        method: r.method.toLowerCase(),
        path: r.path.replace(/:([A-Za-z]+)/g, "{$1}").replace(/\/$/, "") || "/",
      }))
      .filter((r) => !doc.paths[r.path]?.[r.method])
      .map((r) => `${r.method.toUpperCase()} ${r.path}`);
    assert.deepEqual([...new Set(missing)], []);
    deps.hub.close();
  });
});
