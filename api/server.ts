// Owns the HTTP applications: middleware order, routes, and the one error handler, for REST requests
// and for WebSocket upgrades (the agent stream).
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { routePath } from "hono/route";
import { CLOSE, SYNC_STREAM_PATH } from "../wire/sync.ts";
import { applyRoutes } from "./apply/apply.routes.ts";
import { bearerAuth } from "./auth/middleware.ts";
import { tokenRoutes } from "./auth/tokens.routes.ts";
import { clusterNetworkPolicyRoutes } from "./clusternetworkpolicies/clusternetworkpolicies.routes.ts";
import type { Deps } from "./deps.ts";
import { endpointRoutes } from "./endpoints/endpoints.routes.ts";
import { enrollmentTokenRoutes, enrollRoutes } from "./enrollment/enrollment.routes.ts";
import { evaluateRoutes } from "./evaluate/evaluate.routes.ts";
import { flowRoutes } from "./flows/flows.routes.ts";
import { unreadableBodyIs400 } from "./http/body.ts";
import { ApiError, errorResponse, handleError } from "./http/errors.ts";
import type { UpgradeBindings } from "./http/upgrade.ts";
import { namespaceRoutes } from "./namespaces/namespaces.routes.ts";
import { networkPolicyRoutes } from "./networkpolicies/networkpolicies.routes.ts";
import { nodeRoutes, syncWaitRoutes } from "./nodes/nodes.routes.ts";
import { openApiDocument } from "./openapi.ts";
import { streamRoutes } from "./sync/stream.routes.ts";
import { consoleRoutes } from "./ui/console.routes.tsx";
import { admissionRoutes } from "./webhooks/admission/admission.routes.ts";
import { hookRoutes } from "./webhooks/inbound/hooks.routes.ts";
import { receiverRoutes } from "./webhooks/inbound/receivers.routes.ts";
import { webhookRoutes } from "./webhooks/outbound/webhooks.routes.ts";

export const MAX_BODY_BYTES = 4 * 1024 * 1024;
const HOOKS_PREFIX = "/v1/hooks/";

export function createApp(deps: Deps) {
  const app = new Hono();
  app.use(async function measure(c, next) {
    const started = performance.now();
    await next();
    const labels = { method: c.req.method, route: routePath(c), status: String(c.res.status) };
    deps.metrics.requests.inc(labels);
    deps.metrics.requestSeconds.observe(labels, (performance.now() - started) / 1000);
  });
  app.use(unreadableBodyIs400());
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError("request.too_large", `the body exceeds ${MAX_BODY_BYTES} bytes`);
    },
  });
  // Inbound hooks bound their bodies themselves, with their own limit and error code.
  app.use((c, next) => (c.req.path.startsWith(HOOKS_PREFIX) ? next() : limitBody(c, next)));
  app.use(
    bearerAuth({
      adminToken: deps.adminToken,
      tokens: deps.tokens,
      nodeCredentials: deps.enrollment,
      // Inbound hooks authenticate by their signature, not a bearer token.
      // The console (/ui) authenticates by its own session cookie (api/ui/guard.ts).
      openPaths: ["/healthz", "/readyz", "/v1/enroll", `${HOOKS_PREFIX}*`, "/ui", "/ui/*"],
      readPosts: ["/v1/evaluate", "/v1/admission/validate"],
    }),
  );

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    deps.store.revision();
    return c.json({ status: "ready", revision: deps.store.revision() });
  });
  app.get("/metrics", async (c) =>
    c.text(await deps.metrics.registry.metrics(), 200, { "Content-Type": deps.metrics.registry.contentType }),
  );
  const openapi = openApiDocument();
  app.get("/openapi.json", (c) => c.json(openapi));
  app.get("/v1/revision", (c) => c.json({ revision: deps.store.revision() }));

  app.route("/v1/namespaces", namespaceRoutes(deps));
  app.route("/v1/namespaces", endpointRoutes(deps));
  app.route("/v1/namespaces", networkPolicyRoutes(deps));
  app.route("/v1/clusternetworkpolicies", clusterNetworkPolicyRoutes(deps));
  app.route("/v1/apply", applyRoutes(deps));
  app.route("/v1/evaluate", evaluateRoutes(deps));
  app.route("/v1/tokens", tokenRoutes(deps));
  app.route("/v1/enrollment-tokens", enrollmentTokenRoutes(deps.enrollment));
  app.route(
    "/v1/enroll",
    enrollRoutes(deps.enrollment, (node) => {
      deps.log({ level: "info", msg: "node enrolled", node });
      // A re-enrolled node's old credential is gone: its stream stops now, as on deletion.
      deps.hub.disconnect(node, CLOSE.REVOKED, "the node was re-enrolled");
      deps.webhooks.emit({ type: "node.enrolled", revision: deps.store.revision(), data: { node } });
    }),
  );
  app.route("/v1/nodes", nodeRoutes(deps));
  app.route("/v1/sync/wait", syncWaitRoutes(deps));
  app.route("/v1/flows", flowRoutes(deps));
  app.route("/v1/webhooks", webhookRoutes(deps.webhooks));
  app.route("/v1/webhook-receivers", receiverRoutes(deps.webhooks));
  app.route("/v1/hooks", hookRoutes(deps.webhooks, deps.store));
  app.route("/v1/admission", admissionRoutes());
  // The console's relay answers through this same app, so its API reads pass bearer auth as usual.
  app.route("/ui", consoleRoutes(deps, { relay: (request) => app.fetch(request) }));

  app.notFound((c) =>
    errorResponse(c, new ApiError("route.not_found", `no route for ${c.req.method} ${c.req.path}`)),
  );
  app.onError((err, c) => handleError(err, c, deps.log));
  return app;
}

/** Answers WebSocket upgrade requests (see http/upgrade.ts): the agent stream, refusals as in REST. */
export function createUpgradeApp(deps: Deps) {
  const app = new Hono<{ Bindings: UpgradeBindings }>();
  app.route(SYNC_STREAM_PATH, streamRoutes(deps.hub, deps.enrollment));
  app.notFound((c) => errorResponse(c, new ApiError("route.not_found", "no such stream")));
  app.onError((err, c) => handleError(err, c, deps.log));
  return app;
}
