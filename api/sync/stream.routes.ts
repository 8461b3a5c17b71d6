// Owns GET /v1/agent/stream: a node credential, then the WebSocket upgrade, then the hub's session.
import { Hono } from "hono";
import { MAX_AGENT_MESSAGE_BYTES } from "../../wire/sync.ts";
import { nodeCredential } from "../auth/middleware.ts";
import type { EnrollmentRepository } from "../enrollment/enrollment.repository.ts";
import { type UpgradeBindings, upgradeWebSocket } from "../http/upgrade.ts";
import type { SyncHub } from "./hub.ts";

type StreamEnv = { Bindings: UpgradeBindings; Variables: { node: string } };

export function streamRoutes(hub: SyncHub, enrollment: EnrollmentRepository) {
  const app = new Hono<StreamEnv>();
  app.get(
    "/",
    nodeCredential((credential) => enrollment.verifyCredential(credential)),
    upgradeWebSocket<StreamEnv>({ maxPayload: MAX_AGENT_MESSAGE_BYTES }, (c, ws) =>
      hub.connect(c.get("node"), ws),
    ),
  );
  return app;
}
