// Owns the agent's HTTP listener: /metrics (Prometheus), /healthz (the process runs) and /readyz
// (enforcing a revision the control plane confirmed).
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";
import { parseListen } from "../wire/listen.ts";
import type { AgentState } from "./state.ts";

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

export async function startHealthServer(
  listen: string,
  registry: Registry,
  status: () => { state: AgentState; reason: string; appliedRevision: number | null },
): Promise<HealthServer> {
  const { host, port } = parseListen(listen, { flag: "--metrics-listen", example: "127.0.0.1:9474" });
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method !== "GET" && req.method !== "HEAD") return json(405, { error: "method not allowed" });
    if (path === "/metrics") {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { "content-type": registry.contentType });
          res.end(text);
        },
        (e) => json(500, { error: String(e) }),
      );
      return;
    }
    if (path === "/healthz") return json(200, { status: "ok" });
    if (path === "/readyz") {
      const s = status();
      return json(s.state === "ready" ? 200 : 503, s);
    }
    json(404, { error: "not found" });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actual = typeof address === "object" && address ? address.port : port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
