// Owns the agent's CNI socket: a unix socket (mode 0600, root only) where the plugin sends one
// request per connection and reads one answer (framing: wire/cni-socket.ts).
import { chmodSync, mkdirSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import type { Log } from "../../lib/log.ts";
import {
  type CniAnswer,
  type CniRequest,
  decodeCniRequest,
  encodeCniAnswer,
  MAX_CNI_REQUEST_BYTES,
} from "../../wire/cni-socket.ts";
import { CNI_CODE, CniError, errorAnswer } from "./errors.ts";

export interface CniSocketServer {
  path: string;
  close(): Promise<void>;
}

/** Whether something listens on the unix socket `path` (a file left by a dead agent does not). */
export function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export async function startCniSocket(
  path: string,
  handle: (req: CniRequest) => Promise<CniAnswer>,
  log: Log,
): Promise<CniSocketServer> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // A socket file left by an agent that died is stale: nothing listens on it any more.
  rmSync(path, { force: true });
  const sockets = new Set<Socket>();
  // Half-open: the plugin shuts down its write side after the request and then reads the answer.
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const chunks: Buffer[] = [];
    let size = 0;
    socket.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_CNI_REQUEST_BYTES) {
        const err = new CniError(CNI_CODE.ioFailure, `request over ${MAX_CNI_REQUEST_BYTES} bytes`);
        socket.end(encodeCniAnswer(errorAnswer(err)));
        socket.removeAllListeners("data");
        return;
      }
      chunks.push(chunk);
    });
    socket.on("end", async () => {
      if (size > MAX_CNI_REQUEST_BYTES) return;
      let answer: CniAnswer;
      try {
        answer = await handle(decodeCniRequest(Buffer.concat(chunks)));
      } catch (e) {
        log({ level: "warn", msg: "cni request refused", error: String(e) });
        answer = errorAnswer(
          new CniError(CNI_CODE.decodeFailure, "malformed request on the agent socket", String(e)),
        );
      }
      if (!socket.destroyed) socket.end(encodeCniAnswer(answer));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  log({ level: "info", msg: "cni socket listening", path });
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          rmSync(path, { force: true });
          resolve();
        });
      }),
  };
}
