// Test helpers for the sync hub: a real control plane on loopback, enrollment through the API,
// and a scripted agent stream that records every server message.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { type ServerMessage, SYNC_PROTOCOL_VERSION, SYNC_STREAM_PATH } from "../../wire/sync.ts";
import { type RunningServer, type ServerOptions, startServer } from "../main.ts";

export const ADMIN = "sync-test-admin-token";

export interface TestPlane {
  server: RunningServer;
  // biome-ignore lint/suspicious/noExplicitAny: test answers are read field by field
  api(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>;
  enroll(node: string, tokenOpts?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export async function startPlane(
  opts: Pick<
    ServerOptions,
    "heartbeatSeconds" | "webhookAllowNetworks" | "nodeEvents" | "fanoutSliceMs"
  > = {},
): Promise<TestPlane> {
  const dir = mkdtempSync(join(tmpdir(), "palisade-sync-"));
  const server = await startServer({
    listen: "127.0.0.1:0",
    dbPath: join(dir, "p.db"),
    adminToken: ADMIN,
    heartbeatSeconds: opts.heartbeatSeconds ?? 30,
    webhookAllowNetworks: opts.webhookAllowNetworks,
    nodeEvents: opts.nodeEvents,
    fanoutSliceMs: opts.fanoutSliceMs,
    log: () => {},
  });
  const api: TestPlane["api"] = async (method, path, body, token = ADMIN) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.status, body: parsed };
  };
  return {
    server,
    api,
    async enroll(node, tokenOpts = {}) {
      const t = await api("POST", "/v1/enrollment-tokens", { maxUses: 1, ...tokenOpts });
      const res = await api("POST", "/v1/enroll", { token: t.body.token, node, agentVersion: "test" });
      if (res.status !== 200) throw new Error(`enroll failed: ${JSON.stringify(res.body)}`);
      return res.body.credential as string;
    },
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A scripted agent: connects, records messages, and lets the test wait for the next one. */
export class ScriptedAgent {
  readonly messages: ServerMessage[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.messages.push(JSON.parse(data.toString()) as ServerMessage);
      this.wake();
    });
    ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  static async connect(url: string, credential: string): Promise<ScriptedAgent> {
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}${SYNC_STREAM_PATH}`, {
      headers: { authorization: `Bearer ${credential}` },
    });
    const agent = new ScriptedAgent(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    return agent;
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === "string" ? msg : JSON.stringify(msg));
  }

  hello(node: string, appliedRevision: number | null): void {
    this.send({
      type: "hello",
      protocol: SYNC_PROTOCOL_VERSION,
      node,
      agentVersion: "test",
      appliedRevision,
    });
  }

  /** The next message of `type` not yet taken (waits up to `ms`). */
  async next<T extends ServerMessage["type"]>(
    type: T,
    ms = 5000,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.messages.findIndex((m) => m.type === type);
      if (i >= 0) return this.messages.splice(i, 1)[0] as Extract<ServerMessage, { type: T }>;
      if (this.closed)
        throw new Error(
          `stream closed (${this.closed.code} ${this.closed.reason}) while waiting for ${type}`,
        );
      if (Date.now() > deadline) throw new Error(`no ${type} within ${ms} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  async waitClosed(ms = 5000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("stream did not close");
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.closed;
  }

  close(): void {
    this.ws.close();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
