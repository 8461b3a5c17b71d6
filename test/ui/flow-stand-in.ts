// A stand-in of GET /v1/flows for the console tests, in the shape of the flow contract
// (docs/console.md): JSON answers with `flows` and `nodes`, and `follow=true` as Server-Sent Events
// (`event: flow`, one JSON line each) that replays the held flows and then streams what `emit` adds.
// Only filters the tests use are applied (verdict, namespace). It replaces nothing in production: the
// real route (api/flows) is driven end to end by test/e2e/observe-everywhere.test.ts.

import { EventEmitter } from "node:events";
import type { Hono } from "hono";
import { streamSSE } from "hono/streaming";

export interface Flow {
  time: string;
  node: string;
  endpoint: { namespace: string; name: string };
  direction: "ingress" | "egress";
  verdict: "allowed" | "dropped" | "audit";
  reason: string;
  protocol: string;
  source: Record<string, unknown>;
  destination: Record<string, unknown>;
  policy:
    | { kind: "NetworkPolicy"; namespace: string; name: string; rule: number }
    | { kind: "DefaultDeny"; isolatedBy?: { kind: string; namespace: string; name: string } }
    | null;
}

export class FlowStandIn {
  readonly flows: Flow[] = [];
  private readonly events = new EventEmitter();
  /** The Authorization header of each request it answered. */
  readonly authorizations: (string | undefined)[] = [];
  /** What the JSON answer's `nodes.missing` says. */
  missing: { node: string; reason: "timeout" | "disconnected" | "error" }[] = [];

  /** How many follow streams are open now. */
  followers(): number {
    return this.events.listenerCount("flow");
  }

  emit(flow: Flow): void {
    this.flows.push(flow);
    this.events.emit("flow", flow);
  }

  /** Adds GET /v1/flows to the app (behind its bearer auth, which runs first). */
  install(app: Hono): void {
    // biome-ignore lint/suspicious/noExplicitAny: the app's variables are not this helper's business
    (app as Hono<any>).get("/v1/flows", (c) => {
      this.authorizations.push(c.req.header("authorization"));
      const q = c.req.query();
      const matches = (f: Flow) =>
        (!q.verdict || f.verdict === q.verdict) &&
        (!q.namespace || f.endpoint.namespace === q.namespace || f.source.namespace === q.namespace);
      if (q.follow !== "true") {
        const limit = Number(q.limit ?? 100);
        return c.json({
          flows: this.flows.filter(matches).slice(-limit),
          nodes: { answered: ["node-a"], missing: this.missing },
        });
      }
      return streamSSE(c, async (stream) => {
        const limit = Number(q.limit ?? 20);
        for (const f of this.flows.filter(matches).slice(-limit))
          await stream.writeSSE({ event: "flow", data: JSON.stringify(f) });
        const send = (f: Flow) => {
          if (matches(f)) void stream.writeSSE({ event: "flow", data: JSON.stringify(f) });
        };
        this.events.on("flow", send);
        await new Promise<void>((done) => stream.onAbort(done));
        this.events.off("flow", send);
      });
    });
  }
}
