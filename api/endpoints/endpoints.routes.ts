// Owns /v1/namespaces/{ns}/endpoints: create-or-replace, get, list and delete, by tokens and by
// node credentials (the CNI path: a node writes only its own node's endpoints).
import { type Context, Hono } from "hono";
import type { AuthVariables } from "../auth/middleware.ts";
import type { Deps } from "../deps.ts";
import { readBody } from "../http/body.ts";
import { ApiError } from "../http/errors.ts";
import type { ObjectWrite } from "../policy/compiler/object-change.ts";
import type { Endpoint } from "../policy/model.ts";
import { validateEndpoint } from "../policy/validation/index.ts";
import { getEndpoint, listEndpoints } from "../store/reads.ts";

type Env = { Variables: AuthVariables };

/** The `managedBy` of the caller: `node/<name>` for a node credential, undefined for a token. */
function writerOf(c: Context<Env>): string | undefined {
  return c.get("scope") === "node" ? `node/${c.get("node")}` : undefined;
}

/** `?force=true` overrides the ownership rule; only tokens may say it. */
function forceOf(c: Context<Env>): boolean {
  const force = c.req.query("force");
  if (force === undefined || force === "false") return false;
  if (force !== "true") {
    throw ApiError.invalid("endpoint", [
      { path: "force", message: "must be true or false", rule: "enum", value: force },
    ]);
  }
  if (c.get("scope") === "node") {
    throw new ApiError("auth.forbidden", "a node credential cannot force an endpoint write");
  }
  return true;
}

export function endpointRoutes({ store }: Deps) {
  const app = new Hono<Env>();
  app.put("/:ns/endpoints/:name", async (c) => {
    const { ns, name } = c.req.param();
    const force = forceOf(c);
    const result = validateEndpoint(ns, name, await readBody(c));
    if (!result.ok) throw ApiError.invalid("endpoint", result.issues);
    const writer = writerOf(c);
    const value: Endpoint = writer ? { ...result.value, managedBy: writer } : result.value;
    const writes: ObjectWrite[] = [];
    if (writer) {
      if (value.node !== c.get("node")) {
        throw new ApiError(
          "auth.forbidden",
          `node ${c.get("node")} may only write endpoints on its own node, not on ${value.node}`,
        );
      }
    }
    // ?replaces=NS/NAME moves an endpoint (a podman container whose namespace label became known)
    // in the same revision, so its interface is never without policy in between.
    const replaces = c.req.query("replaces");
    if (replaces !== undefined && replaces !== `${ns}/${name}`) {
      const [fromNs, fromName, ...rest] = replaces.split("/");
      if (!fromNs || !fromName || rest.length > 0) {
        throw ApiError.invalid("endpoint", [
          { path: "replaces", message: "must be NAMESPACE/NAME", rule: "format", value: replaces },
        ]);
      }
      writes.push({ kind: "endpoint", op: "delete", namespace: fromNs, name: fromName, writer, force });
    }
    writes.push({ kind: "endpoint", op: "upsert", value, force });
    // A pod's namespace may not be known to the control plane yet: its node creates it, empty.
    // Checked at the write's turn, after every write before it, so that it never overwrites a
    // namespace created meanwhile.
    const atItsTurn = () =>
      writer && !store.engine.namespaces.has(ns) ? [newNamespace(ns), ...writes] : writes;
    const { revision, written } = await store.submit(atItsTurn, { origin: { kind: "object" } });
    const op = written.find((w) => w.kind === "endpoint")?.op;
    return c.json(endpointView(value, revision), op === "created" ? 201 : 200);
  });
  app.get("/:ns/endpoints", (c) =>
    c.json({
      items: listEndpoints(store.db, c.req.param("ns")).map((s) => endpointView(s.value, s.revision)),
      revision: store.revision(),
    }),
  );
  app.get("/:ns/endpoints/:name", async (c) => {
    const { ns, name } = c.req.param();
    // The row and the engine's status must describe the same revision.
    await store.gate.settled();
    const found = getEndpoint(store.db, ns, name);
    if (!found) throw new ApiError("endpoint.not_found", `endpoint ${ns}/${name} does not exist`);
    // A node reads only its own node's endpoints, as it writes only those.
    if (c.get("scope") === "node" && found.value.node !== c.get("node")) {
      throw new ApiError("auth.forbidden", `node ${c.get("node")} may only read endpoints on its own node`);
    }
    const rec = store.engine.endpoints.get(`${ns}/${name}`);
    return c.json({
      ...endpointView(found.value, found.revision),
      status: rec ? { identity: rec.identity, endpointId: rec.id } : {},
    });
  });
  app.delete("/:ns/endpoints/:name", async (c) => {
    const { ns, name } = c.req.param();
    const force = forceOf(c);
    const writer = writerOf(c);
    const containerId = c.req.query("containerId");
    const { revision } = await store.submit(
      [
        {
          kind: "endpoint",
          op: "delete",
          namespace: ns,
          name,
          writer,
          force,
          ...(containerId ? { containerId } : {}),
        },
      ],
      { origin: { kind: "object" } },
    );
    return c.json({ kind: "Endpoint", namespace: ns, name, deleted: true, revision });
  });
  return app;
}

function newNamespace(name: string): ObjectWrite {
  return {
    kind: "namespace",
    op: "upsert",
    value: { name, labels: { "kubernetes.io/metadata.name": name } },
  };
}

export function endpointView(ep: Endpoint, revision: number) {
  return { ...ep, revision };
}
