// Owns /v1/namespaces/{ns}/networkpolicies: create-or-replace (JSON or YAML), get, list and delete.
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import { readBody } from "../http/body.ts";
import { ApiError } from "../http/errors.ts";
import type { NetworkPolicy } from "../policy/model.ts";
import { renderNetworkPolicy, validateNetworkPolicy } from "../policy/validation/index.ts";
import { getPolicy, listPolicies } from "../store/reads.ts";

export function policyView(policy: NetworkPolicy, revision: number) {
  return { ...renderNetworkPolicy(policy), revision };
}

export function networkPolicyRoutes({ store }: Deps) {
  const app = new Hono();
  app.put("/:ns/networkpolicies/:name", async (c) => {
    const { ns, name } = c.req.param();
    const body = await readBody(c, { yaml: true });
    const result = validateNetworkPolicy(body, { namespace: ns, name, requireTypeMeta: false });
    if (!result.ok) throw ApiError.invalid("policy", result.issues);
    const { revision, written } = await store.submit(
      [{ kind: "policy", op: "upsert", value: result.value, submitted: body }],
      { origin: { kind: "object" } },
    );
    return c.json(policyView(result.value, revision), written[0]?.op === "created" ? 201 : 200);
  });
  app.get("/:ns/networkpolicies", (c) =>
    c.json({
      items: listPolicies(store.db, c.req.param("ns")).map((s) => policyView(s.value, s.revision)),
      revision: store.revision(),
    }),
  );
  app.get("/:ns/networkpolicies/:name", (c) => {
    const { ns, name } = c.req.param();
    const found = getPolicy(store.db, ns, name);
    if (!found) throw new ApiError("networkpolicy.not_found", `networkpolicy ${ns}/${name} does not exist`);
    const view = policyView(found.value, found.revision);
    return c.json(c.req.query("submitted") === "true" ? { ...view, submitted: found.submitted } : view);
  });
  app.delete("/:ns/networkpolicies/:name", async (c) => {
    const { ns, name } = c.req.param();
    const { revision } = await store.submit([{ kind: "policy", op: "delete", namespace: ns, name }], {
      origin: { kind: "object" },
    });
    return c.json({ kind: "NetworkPolicy", namespace: ns, name, deleted: true, revision });
  });
  return app;
}
