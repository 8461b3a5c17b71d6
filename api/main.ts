// Owns starting the control plane: configuration, the admin token, wiring, and listening.

import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createAdaptorServer } from "@hono/node-server";
import { type OpenedDatabase, openDatabase } from "../db/client.ts";
import { jsonLog, type Log } from "../lib/log.ts";
import { parseListen } from "../wire/listen.ts";
import { createDeps, type Deps } from "./deps.ts";
import { serveUpgrades } from "./http/upgrade.ts";
import { yamlWorker } from "./http/yaml-worker.ts";
import { type LoadedKeys, loadSecretKeys } from "./secret-keys.ts";
import { createApp, createUpgradeApp } from "./server.ts";
import type { NodeEventLimits } from "./sync/event-limiter.ts";
import { parseAllowNetworks } from "./webhooks/outbound/destination.ts";
import { hasSealedSecrets } from "./webhooks/sealed-secrets.ts";
import type { WebhookOptions } from "./webhooks/service.ts";

/** Connections the kernel may queue before the server accepts them (capped by net.core.somaxconn). */
export const LISTEN_BACKLOG = 8192;

export interface ServerOptions {
  /** host:port to listen on; port 0 picks a free one. */
  listen: string;
  /** SQLite file (":memory:" for tests). */
  dbPath: string;
  /** The admin bearer token; generated into <db dir>/admin-token when absent. */
  adminToken?: string;
  log?: Log;
  /** Seconds between heartbeats to agents (default 10). */
  heartbeatSeconds?: number;
  /** Per-node limit of node.connected/disconnected/nack events (default 10 at once, 10 a minute). */
  nodeEvents?: NodeEventLimits;
  /** How long one turn of a revision's fan-out may run, in ms (default 20; tests). */
  fanoutSliceMs?: number;
  /**
   * Networks (CIDRs) webhook deliveries may reach besides public addresses, e.g. ["10.0.0.0/8"];
   * default: PALISADE_WEBHOOK_ALLOW_NETWORKS (comma-separated), else none.
   */
  webhookAllowNetworks?: string[];
  /** Further webhook options (tests: clock, worker bounds). */
  webhooks?: Omit<WebhookOptions, "allowNetworks" | "secretBox">;
  /**
   * The environment the secret key comes from (PALISADE_SECRET_KEY; default process.env); without
   * it the key is read from (or created as) <db dir>/secret-key.
   */
  env?: Record<string, string | undefined>;
}

export interface RunningServer {
  url: string;
  adminTokenFile?: string;
  /** The key file sealing webhook secrets (absent when the key came from PALISADE_SECRET_KEY). */
  secretKeyFile?: string;
  /** The running control plane's parts (for tests and embedding). */
  deps: Deps;
  close(): Promise<void>;
}

/** Reads or creates the admin token file (mode 0600) beside the database. */
export function ensureAdminToken(dbPath: string): { token: string; file: string } {
  const file = join(dirname(resolve(dbPath)), "admin-token");
  if (existsSync(file)) return { token: readFileSync(file, "utf8").trim(), file };
  const token = `pal_admin_${randomBytes(32).toString("base64url")}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
  return { token, file };
}

/** Opens the database and loads the key of its sealed secrets (creating it only for a database without any). */
export function openWithKeys(
  dbPath: string,
  env: Record<string, string | undefined>,
): { database: OpenedDatabase; keys: LoadedKeys } {
  const database = openDatabase(dbPath);
  try {
    return { database, keys: loadSecretKeys(dbPath, { env, mayCreate: !hasSealedSecrets(database.sqlite) }) };
  } catch (err) {
    database.close();
    throw err;
  }
}

/** The control plane's dependencies over the database file at `dbPath`. */
export function buildDeps(dbPath: string, adminToken: string, log: Deps["log"]): Deps {
  const { database, keys } = openWithKeys(dbPath, process.env);
  return createDeps(database, { adminToken, log, webhooks: { secretBox: keys.box } });
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const log = opts.log ?? jsonLog;
  const { host, port } = parseListen(opts.listen);
  let adminToken = opts.adminToken;
  let adminTokenFile: string | undefined;
  if (!adminToken) {
    if (opts.dbPath === ":memory:") throw new Error("an in-memory database needs an explicit admin token");
    ({ token: adminToken, file: adminTokenFile } = ensureAdminToken(opts.dbPath));
  }
  const started = performance.now();
  const { database, keys } = openWithKeys(opts.dbPath, opts.env ?? process.env);
  let deps: Deps;
  try {
    deps = createDeps(database, {
      adminToken,
      log,
      heartbeatSeconds: opts.heartbeatSeconds,
      nodeEvents: opts.nodeEvents,
      fanoutSliceMs: opts.fanoutSliceMs,
      webhooks: {
        ...opts.webhooks,
        secretBox: keys.box,
        allowNetworks:
          opts.webhookAllowNetworks ?? parseAllowNetworks(process.env.PALISADE_WEBHOOK_ALLOW_NETWORKS),
      },
    });
  } catch (err) {
    // E.g. a stored secret no configured key opens: stop here, the database closed.
    database.close();
    throw err;
  }
  const app = createApp(deps);
  const server = await new Promise<ReturnType<typeof createAdaptorServer>>((resolvePromise, reject) => {
    const s = createAdaptorServer({ fetch: app.fetch, hostname: host });
    s.once("error", reject);
    // A fleet reconnecting at once (every agent after a restart) overflows Node's default accept
    // queue of 511: the kernel then drops the agents' SYNs and they wait out its retransmission
    // timers (1, 3, 7, 15, 31 s...) while the control plane idles. The kernel caps this at somaxconn.
    s.listen({ port, host, backlog: LISTEN_BACKLOG }, () => resolvePromise(s));
  });
  serveUpgrades(server as unknown as import("node:http").Server, createUpgradeApp(deps));
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${actualPort}`;
  log({
    level: "info",
    msg: "control plane listening",
    url,
    db: opts.dbPath,
    revision: deps.store.revision(),
    loadMs: Math.round(performance.now() - started),
    ...(adminTokenFile ? { adminTokenFile } : {}),
    ...(keys.file ? { secretKeyFile: keys.file, secretKeyCreated: keys.created } : {}),
    secretKeyId: keys.box.keyId,
  });
  return {
    url,
    adminTokenFile,
    secretKeyFile: keys.file,
    deps,
    close: () =>
      new Promise<void>((resolveClose) => {
        deps.hub.close();
        void yamlWorker.stop();
        const stopped = deps.webhooks.close();
        server.close(() => {
          // Running deliveries finish (each is bounded by its timeout) before the database closes.
          void stopped.then(() => {
            deps.store.database.close();
            resolveClose();
          });
        });
        if ("closeAllConnections" in server)
          (server as { closeAllConnections(): void }).closeAllConnections();
      }),
  };
}
