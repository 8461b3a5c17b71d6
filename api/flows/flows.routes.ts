// Owns GET /v1/flows: the relay's merged answer, or with follow=true a Server-Sent Events stream
// (replay of the last `limit` matching flows, then each new one; `: keepalive` every 15 s).
import { Hono } from "hono";
import { stream } from "hono/streaming";
import { realClock, type TimeSource } from "../../lib/clock.ts";
import { type Flow, flowMatches } from "../../wire/flows.ts";
import type { Deps } from "../deps.ts";
import { parseFlowQuery } from "./query.ts";

/** How long the relay waits for each node's answer. */
export const FLOW_NODE_TIMEOUT_MS = 2000;
export const KEEPALIVE_MS = 15_000;
/** Flows a slow follower may have waiting; more are left out (and said so in a comment). */
export const FOLLOW_QUEUE_MAX = 1000;

export interface FlowRouteOptions {
  nodeTimeoutMs?: number;
  keepaliveMs?: number;
  clock?: TimeSource;
}

export function flowRoutes({ hub }: Pick<Deps, "hub">, o: FlowRouteOptions = {}) {
  const app = new Hono();
  const clock = o.clock ?? realClock;
  const timeoutMs = o.nodeTimeoutMs ?? FLOW_NODE_TIMEOUT_MS;
  app.get("/", async (c) => {
    const q = parseFlowQuery(c.req.query(), clock.now());
    if (!q.follow) {
      const r = await hub.flows.query(q.filter, q.limit, timeoutMs);
      return c.json({
        flows: r.flows,
        nodes: r.nodes,
        ...(r.truncated.length > 0 ? { truncated: r.truncated } : {}),
      });
    }
    c.header("Content-Type", "text/event-stream");
    c.header("Cache-Control", "no-cache");
    c.header("X-Accel-Buffering", "no");
    return stream(c, async (s) => {
      // Subscribe before the replay so nothing falls between them; what arrives meanwhile waits.
      const queue: Flow[] = [];
      let left = 0;
      let wake: (() => void) | undefined;
      const unfollow = hub.flows.follow((f) => {
        if (!flowMatches(f, q.filter)) return;
        if (queue.length >= FOLLOW_QUEUE_MAX) left += 1;
        else queue.push(f);
        wake?.();
      });
      let open = true;
      s.onAbort(() => {
        open = false;
        wake?.();
      });
      const keepalive = setInterval(() => {
        void s.write(": keepalive\n\n");
      }, o.keepaliveMs ?? KEEPALIVE_MS);
      try {
        const replay = await hub.flows.query(q.filter, q.limit, timeoutMs);
        const seen = new Set<string>();
        for (const f of replay.flows) {
          const line = JSON.stringify(f);
          seen.add(line);
          await s.write(`event: flow\ndata: ${line}\n\n`);
        }
        if (replay.nodes.missing.length > 0)
          await s.write(
            `: missing ${replay.nodes.missing.map((m) => `${m.node} (${m.reason})`).join(", ")}\n\n`,
          );
        while (open) {
          if (queue.length === 0 && left === 0) {
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            wake = undefined;
            continue;
          }
          if (left > 0) {
            await s.write(`: ${left} flows left out (the client reads slower than they come)\n\n`);
            left = 0;
          }
          for (const f of queue.splice(0)) {
            const line = JSON.stringify(f);
            if (seen.size > 0 && seen.has(line)) continue; // already in the replay
            await s.write(`event: flow\ndata: ${line}\n\n`);
          }
          seen.clear();
        }
      } finally {
        clearInterval(keepalive);
        unfollow();
      }
    });
  });
  return app;
}
