// Owns /v1/nodes (status of enrolled nodes, deletion) and /v1/sync/wait.
import { Hono } from "hono";
import { z } from "zod";
import type { Deps } from "../deps.ts";
import { ApiError } from "../http/errors.ts";
import { parseRequest } from "../http/zod-issues.ts";
import type { NodeRecord } from "./nodes.repository.ts";

export function nodeRoutes({ nodes, hub, store }: Deps) {
  const app = new Hono();
  const view = (n: NodeRecord) => {
    const session = hub.sessions.get(n.name);
    return {
      ...n,
      connected: !!session,
      appliedRevision: session?.appliedRevision ?? n.appliedRevision,
      endpointCount: store.engine.nodes.has(n.name) ? store.engine.nodeState(n.name).endpoints.length : 0,
    };
  };
  // Each route that reads the engine waits for a sliced write to settle (store/write-gate.ts).
  app.get("/", async (c) => {
    await store.gate.settled();
    return c.json({ items: nodes.list().map(view), revision: store.revision() });
  });
  // Every endpoint placed on the node, in all namespaces: what its agent re-adopts and collects.
  app.get("/:name/endpoints", async (c) => {
    const name = c.req.param("name");
    await store.gate.settled();
    const items = [...store.engine.endpoints.values()]
      .filter((r) => r.endpoint.node === name)
      .map((r) => ({ ...r.endpoint, status: { identity: r.identity, endpointId: r.id } }))
      .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
    return c.json({ items, revision: store.revision() });
  });
  app.get("/:name", async (c) => {
    await store.gate.settled();
    const n = nodes.get(c.req.param("name"));
    if (!n) throw new ApiError("node.not_found", `node ${c.req.param("name")} is not enrolled`);
    return c.json({ ...view(n), revision: store.revision() });
  });
  app.delete("/:name", (c) => {
    const name = c.req.param("name");
    if (!nodes.delete(name)) throw new ApiError("node.not_found", `node ${name} is not enrolled`);
    hub.disconnect(name);
    return c.json({ name, deleted: true });
  });
  return app;
}

const waitQuery = z.strictObject({
  revision: z.coerce.number().int().min(0),
  timeoutSeconds: z.coerce.number().min(0).max(600).default(30),
  node: z.string().min(1).max(253).optional(),
});

export function syncWaitRoutes({ hub, store }: Deps) {
  const app = new Hono();
  app.get("/", async (c) => {
    const q = parseRequest("sync_wait", waitQuery, c.req.query());
    const ok = await hub.waitFor(q.revision, q.timeoutSeconds * 1000, q.node);
    await store.gate.settled();
    // A fleet-wide wait counts connected nodes; it names the disconnected ones whose enforcement
    // the revision may change, so that an answer never hides them (wait on each with `?node=`).
    const disconnected = q.node === undefined ? { disconnected: hub.disconnectedBehind(q.revision) } : {};
    if (ok) return c.json({ revision: q.revision, applied: true, ...disconnected });
    const lagging = hub.lagging(q.revision, q.node);
    throw new ApiError(
      "sync.timeout",
      `revision ${q.revision} not applied within ${q.timeoutSeconds}s by: ${lagging.map((l) => l.node).join(", ")}`,
      { details: { lagging, ...disconnected } },
    );
  });
  return app;
}
