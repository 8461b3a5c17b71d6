// Owns `palisade server`: starts the control plane, writes its logs, closes it on SIGINT/SIGTERM.

import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Log } from "../lib/log.ts";
import { defineCommand, EXIT_FAILED, EXIT_OK } from "./command.ts";
import { explainError } from "./failure.ts";
import { requireValue, UsageError } from "./flags.ts";
import { workingDirectory } from "./io.ts";
import { createLogger } from "./log.ts";
import { DB_FLAG, LISTEN_FLAG, LOG_LEVEL_FLAG } from "./shared-flags.ts";
import { waitForStopSignal } from "./signals.ts";

/** The signature of `startServer` in api/main.ts, which this command codes against. */
export type StartServer = (opts: {
  listen: string;
  dbPath: string;
  adminToken?: string;
  log?: Log;
}) => Promise<{ url: string; adminTokenFile?: string; close(): Promise<void> }>;

export interface ServerDeps {
  /** Imported lazily so `palisade --help` works without loading the API. */
  loadStartServer(): Promise<StartServer>;
  /** Resolves with the signal's name when the process is asked to stop. */
  waitForStopSignal(): Promise<string>;
  now(): Date;
}

export function createServerCommand(deps: ServerDeps) {
  return defineCommand(
    {
      path: "server",
      summary: "run the control plane (REST API, policy compiler, state in SQLite)",
      args: [],
      flags: [
        LISTEN_FLAG,
        DB_FLAG,
        { ...LOG_LEVEL_FLAG, description: "least severe log line written: debug, info, warn or error" },
      ],
      description: [
        "Writes one JSON log line per event to stdout. Stops gracefully on SIGINT or SIGTERM.",
        "The admin token is PALISADE_ADMIN_TOKEN when set. Otherwise the first start generates one",
        "and writes it to <db dir>/admin-token (mode 0600); the log says where it is.",
      ].join("\n"),
      sections: [
        {
          title: "Environment",
          lines: [
            "PALISADE_ADMIN_TOKEN  the admin bearer token (default: generated into <db dir>/admin-token)",
          ],
        },
      ],
    },
    async (parsed, env, io) => {
      const listen = checkListen(requireValue(parsed, "listen"));
      const db = requireValue(parsed, "db");
      const dbPath = db === ":memory:" ? db : resolve(workingDirectory(io), db);
      const log = createLogger(requireValue(parsed, "log-level"), io, deps.now);
      // Listen for stop signals before starting, so one sent during startup closes the server
      // as soon as it is up instead of being lost.
      const stopSignal = deps.waitForStopSignal();
      let startServer: StartServer;
      try {
        startServer = await deps.loadStartServer();
      } catch (error) {
        io.stderr.write(
          `palisade server: cannot load the control plane (api/main.ts): ${explainError(error)}\n`,
        );
        return EXIT_FAILED;
      }
      let server: Awaited<ReturnType<StartServer>>;
      try {
        if (dbPath !== ":memory:") mkdirSync(dirname(dbPath), { recursive: true, mode: 0o700 });
        const adminToken = env.PALISADE_ADMIN_TOKEN || undefined;
        server = await startServer({ listen, dbPath, ...(adminToken ? { adminToken } : {}), log });
      } catch (error) {
        io.stderr.write(`palisade server: failed to start: ${explainError(error)}\n`);
        return EXIT_FAILED;
      }
      // startServer logs where it listens and, when the admin token comes from the file, where it is.
      const signal = await stopSignal;
      log({ level: "info", msg: "stopping", signal });
      try {
        await server.close();
      } catch (error) {
        io.stderr.write(`palisade server: failed to close cleanly: ${explainError(error)}\n`);
        return EXIT_FAILED;
      }
      log({ level: "info", msg: "stopped" });
      return EXIT_OK;
    },
  );
}

function checkListen(value: string): string {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d+)$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port > 65535) {
    throw new UsageError(
      `--listen must be HOST:PORT (e.g. 127.0.0.1:7400 or [::1]:7400); got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

export const serverCommand = createServerCommand({
  async loadStartServer() {
    const { startServer } = await import("../api/main.ts");
    return startServer;
  },
  waitForStopSignal,
  now: () => new Date(),
});
