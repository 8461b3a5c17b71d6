// Owns /v1/namespaces: create-or-replace, get, list and delete (which deletes what it holds).
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import { readBody } from "../http/body.ts";
import { ApiError } from "../http/errors.ts";
import type { Namespace } from "../policy/model.ts";
import { validateNamespace } from "../policy/validation/index.ts";
import { getNamespace, listNamespaces, type Stored } from "../store/reads.ts";

export function namespaceView(ns: Namespace, revision: number) {
  return { name: ns.name, labels: ns.labels, revision };
}

export function namespaceRoutes({ store }: Deps) {
  const app = new Hono();
  app.put("/:name", async (c) => {
    const name = c.req.param("name");
    const result = validateNamespace(name, await readBody(c));
    if (!result.ok) throw ApiError.invalid("namespace", result.issues);
    const { revision, written } = await store.submit(
      [{ kind: "namespace", op: "upsert", value: result.value }],
      {
        origin: { kind: "object" },
      },
    );
    return c.json(namespaceView(result.value, revision), written[0]?.op === "created" ? 201 : 200);
  });
  app.get("/", (c) => c.json({ items: listNamespaces(store.db).map(view), revision: store.revision() }));
  app.get("/:name", (c) => {
    const found = getNamespace(store.db, c.req.param("name"));
    if (!found) throw new ApiError("namespace.not_found", `namespace ${c.req.param("name")} does not exist`);
    return c.json(view(found));
  });
  app.delete("/:name", async (c) => {
    const name = c.req.param("name");
    const { revision, written } = await store.submit([{ kind: "namespace", op: "delete", name }], {
      origin: { kind: "object" },
    });
    return c.json({ kind: "Namespace", name, deleted: true, cascaded: written, revision });
  });
  return app;
}

function view(s: Stored<Namespace>) {
  return namespaceView(s.value, s.revision);
}
