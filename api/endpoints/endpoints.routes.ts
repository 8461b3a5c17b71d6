// Owns /v1/namespaces/{ns}/endpoints: create-or-replace, get, list and delete.
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import { readBody } from "../http/body.ts";
import { ApiError } from "../http/errors.ts";
import type { Endpoint } from "../policy/model.ts";
import { validateEndpoint } from "../policy/validation/index.ts";
import { getEndpoint, listEndpoints } from "../store/reads.ts";

export function endpointRoutes({ store }: Deps) {
  const app = new Hono();
  app.put("/:ns/endpoints/:name", async (c) => {
    const { ns, name } = c.req.param();
    const result = validateEndpoint(ns, name, await readBody(c));
    if (!result.ok) throw ApiError.invalid("endpoint", result.issues);
    const { revision, written } = store.commit([{ kind: "endpoint", op: "upsert", value: result.value }]);
    return c.json(endpointView(result.value, revision), written[0]?.op === "created" ? 201 : 200);
  });
  app.get("/:ns/endpoints", (c) =>
    c.json({
      items: listEndpoints(store.db, c.req.param("ns")).map((s) => endpointView(s.value, s.revision)),
      revision: store.revision(),
    }),
  );
  app.get("/:ns/endpoints/:name", (c) => {
    const { ns, name } = c.req.param();
    const found = getEndpoint(store.db, ns, name);
    if (!found) throw new ApiError(404, "endpoint.not_found", `endpoint ${ns}/${name} does not exist`);
    const rec = store.engine.endpoints.get(`${ns}/${name}`);
    return c.json({
      ...endpointView(found.value, found.revision),
      status: rec ? { identity: rec.identity, endpointId: rec.id } : {},
    });
  });
  app.delete("/:ns/endpoints/:name", (c) => {
    const { ns, name } = c.req.param();
    const { revision } = store.commit([{ kind: "endpoint", op: "delete", namespace: ns, name }]);
    return c.json({ kind: "Endpoint", namespace: ns, name, deleted: true, revision });
  });
  return app;
}

export function endpointView(ep: Endpoint, revision: number) {
  return { ...ep, revision };
}
