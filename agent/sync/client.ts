// Owns the agent's end of the sync stream: connect with the node credential, say hello with the
// applied revision, validate every server message, apply snapshots and deltas in order and answer
// ack/nack, answer heartbeats, rotate the credential on a schedule, and reconnect with backoff.
import WebSocket from "ws";
import { type Clock, realClock } from "../../lib/clock.ts";
import type { Log } from "../../lib/log.ts";
import type { FlowsAnswerMessage, FlowsQueryMessage } from "../../wire/flows.ts";
import {
  type AgentMessage,
  CLOSE,
  type DeltaMessage,
  type Hello,
  MAX_AGENT_MESSAGE_BYTES,
  MAX_SERVER_MESSAGE_BYTES,
  type NamesMessage,
  parseServerMessage,
  type RevisionHeader,
  type ServerMessage,
  type ServerMessageParse,
  type SnapshotMessage,
  SYNC_PROTOCOL_VERSION,
  SYNC_STREAM_PATH,
} from "../../wire/sync.ts";
import type { ApplyAnswer } from "./applier.ts";
import { type BackoffOptions, backoffDelay, isRefusal } from "./backoff.ts";

export interface SyncHandler {
  /** The hello fields that change between connections. */
  hello(): Pick<Hello, "appliedRevision" | "features" | "mapSizes" | "hostAddresses">;
  /** The credential to connect with now. */
  credential(): string;
  /** When the current credential was issued (ms since the epoch), for the rotation schedule. */
  credentialIssuedAt(): number;
  /** Stores a rotated credential durably; it is used from the next connection on. */
  saveCredential(credential: string): void;
  apply(msg: SnapshotMessage | DeltaMessage): Promise<ApplyAnswer>;
  /** A snapshot or delta arrived whole but with entries that fail validation (`reason` says which). */
  refuse(header: RevisionHeader, reason: string): Promise<ApplyAnswer>;
  status(): { endpointsAttached: number; lastError: string | null };
  /** FEATURE_FLOWS messages; absent: the agent did not announce the feature (and is sent none). */
  flows?: {
    names(msg: NamesMessage): void;
    query(msg: FlowsQueryMessage): FlowsAnswerMessage;
    follow(on: boolean): void;
  };
}

export type SyncEvent =
  | { type: "connecting"; attempt: number }
  | { type: "connected"; heartbeatSeconds: number }
  | { type: "disconnected"; code: number; reason: string; retryInMs: number }
  | { type: "answered"; answer: ApplyAnswer }
  | { type: "heartbeat"; revision: number }
  | { type: "rotated" };

export interface SyncClientOptions {
  /** Control plane base URL (http:// or https://). */
  server: string;
  node: string;
  agentVersion: string;
  handler: SyncHandler;
  log: Log;
  clock?: Clock;
  random?: () => number;
  backoff?: Partial<BackoffOptions>;
  /** Credential rotation period; null turns rotation off. */
  rotateEveryMs?: number | null;
  /** Heartbeats that may go missing before the stream is considered dead. */
  heartbeatMisses?: number;
  /** Largest server message accepted (a larger one closes the stream with 1009). */
  maxMessageBytes?: number;
  onEvent?: (e: SyncEvent) => void;
}

export class SyncClient {
  readonly #o: SyncClientOptions;
  readonly #clock: Clock;
  #ws: WebSocket | undefined;
  #attempt = 0;
  #stopped = true;
  #reconnectTimer: unknown;
  #watchdog: unknown;
  #rotateTimer: unknown;
  #heartbeatMs = 0;
  #rotating = false;
  #applying: Promise<unknown> = Promise.resolve();

  constructor(o: SyncClientOptions) {
    this.#o = o;
    this.#clock = o.clock ?? realClock;
  }

  get connected(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  start(): void {
    this.#stopped = false;
    this.#connect();
  }

  /** Closes the stream and stops reconnecting; resolves once the socket is closed. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of [this.#reconnectTimer, this.#watchdog, this.#rotateTimer]) this.#clock.clearTimeout(t);
    const ws = this.#ws;
    this.#ws = undefined;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => ws.terminate(), 1000);
      ws.once("close", () => {
        clearTimeout(force);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, "agent stopping");
    });
  }

  /** Sends one message on the open stream; false when there is none (status is resent on connect). */
  send(msg: AgentMessage): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    const text = JSON.stringify(msg);
    if (Buffer.byteLength(text) > MAX_AGENT_MESSAGE_BYTES) {
      this.#o.log({ level: "error", msg: "not sending an oversized message", type: msg.type });
      return false;
    }
    ws.send(text);
    return true;
  }

  /** Sends the current status (endpoints attached, last error). */
  sendStatus(): void {
    this.send({ type: "status", ...this.#o.handler.status() });
  }

  #connect(): void {
    if (this.#stopped) return;
    const url = new URL(SYNC_STREAM_PATH, this.#o.server);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    this.#o.onEvent?.({ type: "connecting", attempt: this.#attempt });
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${this.#o.handler.credential()}` },
      maxPayload: this.#o.maxMessageBytes ?? MAX_SERVER_MESSAGE_BYTES,
      handshakeTimeout: 10_000,
    });
    this.#ws = ws;
    ws.on("open", () => {
      this.send({
        type: "hello",
        protocol: SYNC_PROTOCOL_VERSION,
        node: this.#o.node,
        agentVersion: this.#o.agentVersion,
        ...this.#o.handler.hello(),
      });
    });
    ws.on("message", (data, isBinary) => this.#receive(ws, data as Buffer, isBinary));
    ws.on("unexpected-response", (req, res) => {
      this.#o.log({
        level: res.statusCode === 401 || res.statusCode === 403 ? "error" : "warn",
        msg: "the control plane refused the stream",
        status: res.statusCode,
      });
      req.destroy();
      this.#down(ws, res.statusCode ?? 0, `HTTP ${res.statusCode}`);
    });
    ws.on("error", (e) => {
      this.#o.log({ level: "warn", msg: "sync stream error", error: e.message });
      this.#down(ws, 1006, e.message);
    });
    ws.on("close", (code, reason) => this.#down(ws, code, reason.toString()));
  }

  /** Handles the end of one connection exactly once, then schedules the next. */
  #down(ws: WebSocket, code: number, reason: string): void {
    if (this.#ws !== ws) return;
    this.#ws = undefined;
    this.#clock.clearTimeout(this.#watchdog);
    this.#clock.clearTimeout(this.#rotateTimer);
    this.#rotating = false;
    if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
    if (this.#stopped) return;
    const retryInMs = backoffDelay(
      this.#attempt++,
      this.#o.backoff,
      this.#o.random ?? Math.random,
      isRefusal(code),
    );
    const level = code === CLOSE.REVOKED ? "error" : "warn";
    this.#o.log({ level, msg: "sync stream closed; reconnecting", code, reason, retryInMs });
    this.#o.onEvent?.({ type: "disconnected", code, reason, retryInMs });
    this.#reconnectTimer = this.#clock.setTimeout(() => this.#connect(), retryInMs);
  }

  #receive(ws: WebSocket, data: Buffer, isBinary: boolean): void {
    if (this.#ws !== ws) return;
    const max = this.#o.maxMessageBytes ?? MAX_SERVER_MESSAGE_BYTES;
    if (data.length > max) {
      ws.close(CLOSE.TOO_BIG, `message of ${data.length} bytes over ${max}`);
      return;
    }
    const parsed: ServerMessageParse = isBinary
      ? { ok: false, reason: "binary frames are not part of the protocol" }
      : parseServerMessage(data.toString("utf8"));
    if (!parsed.ok && parsed.invalidEntries) {
      // The message is whole; only its revision is refused (nack), the stream stays.
      this.#armWatchdog(ws);
      const header = parsed.invalidEntries;
      this.#applying = this.#applying.then(() =>
        this.#answer(ws, header, () => this.#o.handler.refuse(header, parsed.reason)),
      );
      return;
    }
    if (!parsed.ok) {
      this.#o.log({ level: "error", msg: "invalid message from the control plane", error: parsed.reason });
      ws.close(CLOSE.PROTOCOL, parsed.reason.slice(0, 120));
      return;
    }
    this.#armWatchdog(ws);
    this.#dispatch(ws, parsed.message);
  }

  #dispatch(ws: WebSocket, msg: ServerMessage): void {
    switch (msg.type) {
      case "welcome":
        if (msg.node !== this.#o.node || msg.protocol !== SYNC_PROTOCOL_VERSION) {
          this.#o.log({
            level: "error",
            msg: "welcome does not match",
            node: msg.node,
            protocol: msg.protocol,
          });
          ws.close(CLOSE.PROTOCOL, "welcome for another node or protocol");
          return;
        }
        this.#heartbeatMs = msg.heartbeatSeconds * 1000;
        this.#armWatchdog(ws);
        this.#o.onEvent?.({ type: "connected", heartbeatSeconds: msg.heartbeatSeconds });
        this.sendStatus();
        this.#scheduleRotation(ws);
        return;
      case "heartbeat":
        this.send({ type: "heartbeat_ack", seq: msg.seq });
        this.#attempt = 0;
        this.#o.onEvent?.({ type: "heartbeat", revision: msg.revision });
        return;
      case "credential":
        this.#o.handler.saveCredential(msg.credential);
        this.#rotating = false;
        this.#o.log({ level: "info", msg: "credential rotated and stored" });
        this.#o.onEvent?.({ type: "rotated" });
        this.#scheduleRotation(ws);
        return;
      case "snapshot":
      case "delta":
        this.#applying = this.#applying.then(() => this.#answer(ws, msg, () => this.#o.handler.apply(msg)));
        return;
      case "names": {
        const flows = this.#o.handler.flows;
        // In order with the revisions: it names the revision applied once those before it are.
        if (flows) this.#applying = this.#applying.then(() => flows.names(msg));
        return;
      }
      case "flows_query":
        if (this.#o.handler.flows) this.send(this.#o.handler.flows.query(msg));
        return;
      case "flows_follow":
        this.#o.handler.flows?.follow(msg.on);
        return;
    }
  }

  /** Runs one revision's handling in arrival order and sends its answer. */
  async #answer(ws: WebSocket, msg: RevisionHeader, handle: () => Promise<ApplyAnswer>): Promise<void> {
    if (this.#ws !== ws) return; // the connection ended: the next hello says where we are
    const answer = await handle().catch(
      (e): ApplyAnswer => ({
        type: "nack",
        revision: msg.type === "snapshot" ? msg.revision : msg.toRevision,
        error: { code: "agent.apply_failed", message: String(e).slice(0, 4000) },
      }),
    );
    this.#o.onEvent?.({ type: "answered", answer });
    if (answer.type === "resync") {
      if (this.#ws === ws) ws.close(1000, "resync: delta does not start at the applied revision");
      return;
    }
    if (answer.type === "ack") this.#attempt = 0;
    if (this.#ws !== ws) return;
    this.send(answer);
    this.sendStatus();
  }

  #armWatchdog(ws: WebSocket): void {
    this.#clock.clearTimeout(this.#watchdog);
    if (this.#heartbeatMs <= 0) return;
    const limit = this.#heartbeatMs * (this.#o.heartbeatMisses ?? 3);
    this.#watchdog = this.#clock.setTimeout(() => {
      this.#o.log({
        level: "warn",
        msg: "no message from the control plane; dropping the stream",
        afterMs: limit,
      });
      this.#down(ws, CLOSE.TIMEOUT, "heartbeats stopped");
    }, limit);
  }

  #scheduleRotation(ws: WebSocket): void {
    this.#clock.clearTimeout(this.#rotateTimer);
    const every = this.#o.rotateEveryMs === undefined ? 24 * 3600_000 : this.#o.rotateEveryMs;
    if (every === null || this.#rotating) return;
    const dueIn = Math.max(0, this.#o.handler.credentialIssuedAt() + every - this.#clock.now());
    this.#rotateTimer = this.#clock.setTimeout(
      () => {
        if (this.#ws !== ws) return;
        this.#rotating = true;
        this.#o.log({ level: "info", msg: "rotating the node credential" });
        this.send({ type: "rotate_credential" });
      },
      Math.min(dueIn, 2 ** 31 - 1),
    );
  }
}
