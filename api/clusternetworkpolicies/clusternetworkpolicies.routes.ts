// Owns /v1/clusternetworkpolicies: create-or-replace (JSON or YAML), get, list and delete.
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import { readBody } from "../http/body.ts";
import { ApiError } from "../http/errors.ts";
import type { ClusterNetworkPolicy } from "../policy/model.ts";
import { renderClusterNetworkPolicy, validateClusterNetworkPolicy } from "../policy/validation/index.ts";
import { getClusterPolicy, listClusterPolicies } from "../store/reads.ts";

export function clusterPolicyView(policy: ClusterNetworkPolicy, revision: number) {
  return { ...renderClusterNetworkPolicy(policy), revision };
}

export function clusterNetworkPolicyRoutes({ store }: Deps) {
  const app = new Hono();
  app.put("/:name", async (c) => {
    const name = c.req.param("name");
    const body = await readBody(c, { yaml: true });
    const result = validateClusterNetworkPolicy(body, { name, requireTypeMeta: false });
    if (!result.ok) throw ApiError.invalid("clusternetworkpolicy", result.issues);
    const { revision, written } = await store.submit(
      [{ kind: "clusterpolicy", op: "upsert", value: result.value, submitted: body }],
      { origin: { kind: "object" } },
    );
    return c.json(clusterPolicyView(result.value, revision), written[0]?.op === "created" ? 201 : 200);
  });
  app.get("/", (c) =>
    c.json({
      items: listClusterPolicies(store.db).map((s) => clusterPolicyView(s.value, s.revision)),
      revision: store.revision(),
    }),
  );
  app.get("/:name", (c) => {
    const name = c.req.param("name");
    const found = getClusterPolicy(store.db, name);
    if (!found) {
      throw new ApiError("clusternetworkpolicy.not_found", `clusternetworkpolicy ${name} does not exist`);
    }
    const view = clusterPolicyView(found.value, found.revision);
    return c.json(c.req.query("submitted") === "true" ? { ...view, submitted: found.submitted } : view);
  });
  app.delete("/:name", async (c) => {
    const name = c.req.param("name");
    const { revision } = await store.submit([{ kind: "clusterpolicy", op: "delete", name }], {
      origin: { kind: "object" },
    });
    return c.json({ kind: "ClusterNetworkPolicy", name, deleted: true, revision });
  });
  return app;
}
