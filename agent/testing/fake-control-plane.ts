// Owns a fake control plane for agent tests: POST /v1/enroll and the sync stream on 127.0.0.1,
// speaking wire/sync.ts; the test drives each session (what to send, what to expect back).
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { WebSocket, WebSocketServer } from "ws";
import { ENROLL_PATH, type EnrollAnswer, enrollRequestSchema } from "../../wire/enroll.ts";
import type { NodeDelta, NodeState } from "../../wire/entries.ts";
import {
  type AgentMessage,
  type Hello,
  MAX_AGENT_MESSAGE_BYTES,
  parseAgentMessage,
  type ServerMessage,
  SYNC_PROTOCOL_VERSION,
  SYNC_STREAM_PATH,
} from "../../wire/sync.ts";

export class FakeSession {
  readonly hello: Hello;
  readonly credential: string;
  readonly received: AgentMessage[] = [];
  readonly #ws: WebSocket;
  readonly #waiters: { type: string; resolve: (m: AgentMessage) => void }[] = [];
  #cursor = 0;
  closed: Promise<{ code: number; reason: string }>;

  constructor(ws: WebSocket, hello: Hello, credential: string) {
    this.#ws = ws;
    this.hello = hello;
    this.credential = credential;
    this.closed = new Promise((resolve) =>
      ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  push(m: AgentMessage): void {
    this.received.push(m);
    this.#wake();
  }

  send(m: ServerMessage | Record<string, unknown>): void {
    this.#ws.send(JSON.stringify(m));
  }

  sendRaw(data: string | Buffer): void {
    this.#ws.send(data);
  }

  snapshot(revision: number, state: NodeState): void {
    this.send({ type: "snapshot", revision, state });
  }

  delta(fromRevision: number, toRevision: number, delta: Partial<NodeDelta>): void {
    const empty = { upsert: [], remove: [] };
    this.send({
      type: "delta",
      fromRevision,
      toRevision,
      delta: { ipcache: empty, endpoints: empty, policies: empty, ...delta },
    });
  }

  close(code = 1001, reason = "going away"): void {
    this.#ws.close(code, reason);
  }

  get open(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** The next not-yet-consumed message of this type (messages of other types are skipped over). */
  next<T extends AgentMessage["type"]>(
    type: T,
    timeoutMs = 3000,
  ): Promise<Extract<AgentMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${type} message within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#waiters.push({
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<AgentMessage, { type: T }>);
        },
      });
      this.#wake();
    });
  }

  #wake(): void {
    for (;;) {
      const w = this.#waiters[0];
      if (!w) return;
      let i = this.#cursor;
      while (i < this.received.length && this.received[i]!.type !== w.type) i++;
      if (i >= this.received.length) return;
      this.#cursor = i + 1;
      this.#waiters.shift();
      w.resolve(this.received[i]!);
    }
  }
}

export class FakeControlPlane {
  readonly url: string;
  /** Valid enrollment tokens and node credentials (credential -> node). */
  readonly tokens = new Set<string>();
  readonly credentials = new Map<string, string>();
  readonly enrollments: { node: string; token: string }[] = [];
  readonly sessions: FakeSession[] = [];
  heartbeatSeconds = 30;
  /** Whether rotate_credential is answered with a new credential. */
  answerRotation = true;
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #sessionWaiters: ((s: FakeSession) => void)[] = [];

  private constructor(server: Server, wss: WebSocketServer, url: string) {
    this.#server = server;
    this.#wss = wss;
    this.url = url;
  }

  static async start(): Promise<FakeControlPlane> {
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_AGENT_MESSAGE_BYTES });
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const cp = new FakeControlPlane(server, wss, `http://127.0.0.1:${port}`);
    server.on("request", (req, res) => cp.#request(req, res));
    server.on("upgrade", (req, socket, head) => {
      const credential = (req.headers.authorization ?? "").replace(/^Bearer /, "");
      if (req.url !== SYNC_STREAM_PATH || !cp.credentials.has(credential)) {
        socket.end("HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n");
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => cp.#accept(ws, credential));
    });
    return cp;
  }

  issueCredential(node: string): string {
    const c = `pal_node_${randomBytes(16).toString("hex")}`;
    this.credentials.set(c, node);
    return c;
  }

  /** The next session to say hello (already greeted with welcome). */
  nextSession(timeoutMs = 5000): Promise<FakeSession> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no agent connected within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#sessionWaiters.push((s) => {
        clearTimeout(timer);
        resolve(s);
      });
    });
  }

  async close(): Promise<void> {
    for (const c of this.#wss.clients) c.terminate();
    this.#wss.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(ws: WebSocket, credential: string): void {
    let session: FakeSession | undefined;
    ws.on("message", (data) => {
      const parsed = parseAgentMessage(data.toString());
      if (!parsed.ok) return ws.close(4001, parsed.reason);
      const m = parsed.message;
      if (!session) {
        if (m.type !== "hello") return ws.close(4001, "hello first");
        session = new FakeSession(ws, m, credential);
        this.sessions.push(session);
        session.send({
          type: "welcome",
          protocol: SYNC_PROTOCOL_VERSION,
          node: m.node,
          heartbeatSeconds: this.heartbeatSeconds,
        });
        this.#sessionWaiters.shift()?.(session);
        return;
      }
      if (m.type === "rotate_credential" && this.answerRotation) {
        const node = this.credentials.get(credential) ?? m.type;
        this.credentials.delete(credential);
        session.send({ type: "credential", credential: this.issueCredential(node) });
      }
      session.push(m);
    });
  }

  #request(req: IncomingMessage, res: import("node:http").ServerResponse): void {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method !== "POST" || req.url !== ENROLL_PATH) {
      reply(404, { error: { code: "not_found", message: "", issues: [] } });
      return;
    }
    let text = "";
    req.on("data", (d) => {
      text += d;
    });
    req.on("end", () => {
      const parsed = enrollRequestSchema.safeParse(JSON.parse(text));
      if (!parsed.success) {
        return reply(422, { error: { code: "enroll.invalid", message: parsed.error.message, issues: [] } });
      }
      const body = parsed.data;
      if (!this.tokens.has(body.token)) {
        return reply(401, {
          error: { code: "enrollment.token_invalid", message: "unknown token", issues: [] },
        });
      }
      this.enrollments.push({ node: body.node, token: body.token });
      const answer: EnrollAnswer = { node: body.node, credential: this.issueCredential(body.node) };
      reply(200, answer);
    });
  }
}
