// Owns carrying WebSocket upgrades through a Hono app: the HTTP server's `upgrade` event becomes a
// Request the app answers like any other (middleware, onError, the one error body); a route that
// accepts it hands the socket to `ws`, and any other answer is written back on the raw socket.
import { type IncomingMessage, type Server, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { Context, Handler } from "hono";
import { type WebSocket, WebSocketServer } from "ws";
import { ApiError } from "./errors.ts";

/** The socket of an upgrade request, waiting for a route to accept it. */
export interface PendingUpgrade {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  accepted: boolean;
}

/** What an upgrade app's routes see in `c.env`. */
export type UpgradeBindings = { upgrade?: PendingUpgrade };

interface FetchApp {
  fetch(request: Request, env: UpgradeBindings): Response | Promise<Response>;
}

/** Answers every WebSocket upgrade request `server` receives with `app`. */
export function serveUpgrades(server: Server, app: FetchApp): void {
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    answer(app, { req, socket, head, accepted: false }).catch(() => socket.destroy());
  });
}

async function answer(app: FetchApp, pending: PendingUpgrade): Promise<void> {
  const { req, socket } = pending;
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  // Routes only look at the path; a made-up Host header must not break the URL.
  const url = new URL(req.url ?? "/", "http://localhost");
  const res = await app.fetch(new Request(url, { method: req.method, headers }), { upgrade: pending });
  if (pending.accepted) return;
  // A refusal: the status and body the app answered, then the connection ends.
  const body = await res.text();
  const type = res.headers.get("content-type") ?? "text/plain";
  socket.end(
    `HTTP/1.1 ${res.status} ${STATUS_CODES[res.status] ?? ""}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** A route handler that completes the upgrade and hands the open socket to `onOpen`. */
export function upgradeWebSocket<E extends { Bindings: UpgradeBindings }>(
  opts: { maxPayload: number },
  onOpen: (c: Context<E>, ws: WebSocket) => void,
): Handler<E> {
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload });
  return (c) => {
    const pending = c.env?.upgrade;
    // Only an upgrade request has a socket to take.
    if (!pending) throw new ApiError("route.not_found", "no such stream");
    pending.accepted = true;
    wss.handleUpgrade(pending.req, pending.socket, pending.head, (ws) => onOpen(c, ws));
    // Never written: the socket now belongs to ws.
    return new Response(null, { status: 200 });
  };
}
