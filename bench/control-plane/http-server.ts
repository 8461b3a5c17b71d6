// Owns the server side of the HTTP benchmark: a child process that runs the real control plane on
// 127.0.0.1 over a file database, reports its URL to the parent over IPC, and exits when told to.
// Started by http.bench.ts (`fork` with `--import tsx`); not meant to be run by hand.
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { serve } from "@hono/node-server";
import { createDeps } from "../../api/deps.ts";
import { serveUpgrades } from "../../api/http/upgrade.ts";
import { openWithKeys, startServer } from "../../api/main.ts";
import { createApp, createUpgradeApp } from "../../api/server.ts";

export type Synchronous = "normal" | "full";

/**
 * What the parent sends: the database file, the admin token, the SQLite synchronous level, and
 * whether concurrent writes are group-committed (off: each write its own transaction, as before).
 */
export interface ServerRequest {
  dbPath: string;
  adminToken: string;
  synchronous: Synchronous;
  /** Default on. */
  group?: boolean;
}

/** What the child answers once it listens. */
export interface ServerReady {
  url: string;
  /** `PRAGMA synchronous` read back from the server's connection (1 NORMAL, 2 FULL), when reachable. */
  synchronousLevel: number | null;
}

const quiet = () => {};

/** The production path, unchanged: db/client.ts opens the database with synchronous=NORMAL. */
async function startNormal(req: ServerRequest): Promise<{ ready: ServerReady; close: () => Promise<void> }> {
  const server = await startServer({
    listen: "127.0.0.1:0",
    dbPath: req.dbPath,
    adminToken: req.adminToken,
    log: quiet,
  });
  return { ready: { url: server.url, synchronousLevel: null }, close: server.close };
}

/**
 * The same wiring as startServer (openWithKeys -> createDeps -> createApp -> serve ->
 * serveUpgrades), with the one connection switched to synchronous=FULL before the first request
 * (so db/ stays untouched) and/or group commit turned off (`maxGroup: 1`).
 */
async function startParts(req: ServerRequest): Promise<{ ready: ServerReady; close: () => Promise<void> }> {
  const { database, keys } = openWithKeys(req.dbPath, process.env);
  const deps = createDeps(database, {
    adminToken: req.adminToken,
    log: quiet,
    webhooks: { secretBox: keys.box },
    store: req.group === false ? { maxGroup: 1 } : {},
  });
  const sqlite = deps.store.database.sqlite;
  if (req.synchronous === "full") sqlite.pragma("synchronous = FULL");
  const synchronousLevel = Number(sqlite.pragma("synchronous", { simple: true }));
  const app = createApp(deps);
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(s));
    s.once("error", reject);
  });
  serveUpgrades(server as unknown as import("node:http").Server, createUpgradeApp(deps));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const close = () =>
    new Promise<void>((resolve) => {
      deps.hub.close();
      server.close(() => {
        deps.store.database.close();
        resolve();
      });
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    });
  return { ready: { url: `http://127.0.0.1:${port}`, synchronousLevel }, close };
}

function main(): void {
  if (!process.send) throw new Error("http-server.ts must be started by http.bench.ts (fork, with IPC)");
  process.once("message", async (req: ServerRequest) => {
    const production = req.synchronous === "normal" && req.group !== false;
    const server = production ? await startNormal(req) : await startParts(req);
    const stop = async (orphaned: boolean) => {
      await server.close();
      // The parent removes its temp dir itself, unless it died before it could.
      if (orphaned) rmSync(dirname(req.dbPath), { recursive: true, force: true });
      process.exit(0);
    };
    // The parent going away (crash included) ends the child too: the benchmark leaves nothing behind.
    process.once("disconnect", () => stop(true));
    process.once("message", () => stop(false));
    process.send!({ ready: server.ready });
  });
}

main();
