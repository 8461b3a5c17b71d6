// Owns `palisade server`: starts the control plane, writes its logs, closes it on SIGINT/SIGTERM.

import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Log } from "../lib/log.ts";
import { defineCommand, EXIT_FAILED, EXIT_OK } from "./command.ts";
import { requireValue, UsageError } from "./flags.ts";
import { type Io, workingDirectory } from "./io.ts";

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

/** `--listen`, shared by the commands that run a control plane. */
export const LISTEN_FLAG = {
  name: "listen",
  type: "string",
  valueName: "HOST:PORT",
  description: "address of the REST API (port 0 picks a free one)",
  default: "127.0.0.1:7400",
  env: "PALISADE_LISTEN",
} as const;

const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

export function createServerCommand(deps: ServerDeps) {
  return defineCommand(
    {
      path: "server",
      summary: "run the control plane (REST API, policy compiler, state in SQLite)",
      args: [],
      flags: [
        LISTEN_FLAG,
        {
          name: "db",
          type: "string",
          valueName: "FILE",
          description: "SQLite database file; its directory is created if missing",
          default: "./data/palisade.db",
          env: "PALISADE_DB",
        },
        {
          name: "log-level",
          type: "string",
          valueName: "LEVEL",
          description: "least severe log line written: debug, info, warn or error",
          default: "info",
          env: "PALISADE_LOG_LEVEL",
          choices: LOG_LEVELS,
        },
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
        io.stderr.write(`palisade server: cannot load the control plane (api/main.ts): ${explain(error)}\n`);
        return EXIT_FAILED;
      }
      let server: Awaited<ReturnType<StartServer>>;
      try {
        if (dbPath !== ":memory:") mkdirSync(dirname(dbPath), { recursive: true });
        const adminToken = env.PALISADE_ADMIN_TOKEN || undefined;
        server = await startServer({ listen, dbPath, ...(adminToken ? { adminToken } : {}), log });
      } catch (error) {
        io.stderr.write(`palisade server: failed to start: ${explain(error)}\n`);
        return EXIT_FAILED;
      }
      // startServer logs where it listens and, when the admin token comes from the file, where it is.
      const signal = await stopSignal;
      log({ level: "info", msg: "stopping", signal });
      try {
        await server.close();
      } catch (error) {
        io.stderr.write(`palisade server: failed to close cleanly: ${explain(error)}\n`);
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

function explain(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && !error.message.includes(code)
    ? `${error.message} (${code})`
    : error.message;
}

/** Writes lines at or above `threshold` as JSON; a line without `level` counts as info. */
export function createLogger(threshold: string, io: Io, now: () => Date) {
  const minimum = LOG_LEVELS.indexOf(threshold as (typeof LOG_LEVELS)[number]);
  return (line: Record<string, unknown>): void => {
    const level = typeof line.level === "string" ? line.level : "info";
    const rank = LOG_LEVELS.indexOf(level as (typeof LOG_LEVELS)[number]);
    if (rank !== -1 && rank < minimum) return;
    io.stdout.write(`${JSON.stringify({ time: now().toISOString(), ...line, level })}\n`);
  };
}

export const processServerDeps: ServerDeps = {
  async loadStartServer() {
    const { startServer } = await import("../api/main.ts");
    return startServer;
  },
  waitForStopSignal() {
    return new Promise((resolveSignal) => {
      const stop = (signal: NodeJS.Signals) => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        // A second signal while closing means "now": the default handlers end the process.
        resolveSignal(signal);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
  },
  now: () => new Date(),
};

export const serverCommand = createServerCommand(processServerDeps);
