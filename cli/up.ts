// Owns `palisade up`: a control plane on the embedded default and an agent for this node in one
// process, the agent enrolled automatically; Ctrl-C or SIGTERM stops both (the datapath stays
// unless --remove-on-exit).
import { hostname } from "node:os";
import { dirname, resolve } from "node:path";
import { isNodeName } from "../wire/names.ts";
import { defineCommand, EXIT_FAILED, EXIT_OK } from "./command.ts";
import { requireValue, UsageError } from "./flags.ts";
import { workingDirectory } from "./io.ts";
import {
  defaultDatapath,
  type LocalStack,
  loadStackParts,
  localNodeName,
  type StackParts,
  startLocalStack,
} from "./local-stack.ts";
import { createLogger, LISTEN_FLAG, processServerDeps } from "./server.ts";

export interface UpDeps {
  loadParts(): Promise<StackParts>;
  waitForStopSignal(): Promise<string>;
  defaultDatapath(): Promise<{ datapath: "bpf" | "memory"; why: string }>;
  hostname(): string;
  now(): Date;
}

export function createUpCommand(deps: UpDeps) {
  return defineCommand(
    {
      path: "up",
      summary: "run a control plane and this node's agent in one process (the quickest start)",
      args: [],
      flags: [
        LISTEN_FLAG,
        {
          name: "db",
          type: "string",
          valueName: "FILE",
          description: "SQLite database file; the admin token is written beside it",
          default: "./data/palisade.db",
          env: "PALISADE_DB",
        },
        {
          name: "node",
          type: "string",
          valueName: "NAME",
          description: "this node's name (DNS-1123 subdomain)",
          defaultText: "the host name, lowercased and sanitized",
          env: "PALISADE_NODE",
        },
        {
          name: "state-dir",
          type: "string",
          valueName: "DIR",
          description: "the agent's credential and applied revision",
          defaultText: "<db dir>/agents/<node>",
        },
        {
          name: "bpffs",
          type: "string",
          valueName: "DIR",
          description: "bpffs directory for pinned maps and links",
          defaultText: "/sys/fs/bpf/palisade/<node>",
        },
        {
          name: "metrics-listen",
          type: "string",
          valueName: "HOST:PORT",
          description: "address of the agent's /metrics, /healthz and /readyz",
          default: "127.0.0.1:9474",
        },
        {
          name: "datapath",
          type: "string",
          valueName: "KIND",
          description: "bpf (the kernel) or memory (enforcement simulated)",
          defaultText: "bpf as root with the BPF objects built, else memory",
          choices: ["bpf", "memory"],
        },
        {
          name: "remove-on-exit",
          type: "boolean",
          description: "on stop, detach programs and remove pinned maps (default: keep enforcing)",
        },
        {
          name: "log-level",
          type: "string",
          valueName: "LEVEL",
          description: "least severe log line written",
          default: "info",
          env: "PALISADE_LOG_LEVEL",
          choices: ["debug", "info", "warn", "error"],
        },
      ],
      description: [
        "Starts `palisade server` and `palisade agent` for this node in one process. The agent enrolls",
        "with a one-use token the command creates itself; later starts reuse the stored credential.",
        "Writes JSON log lines to stdout and a summary on stderr. Ctrl-C (or SIGTERM) stops both; the",
        "datapath keeps enforcing unless --remove-on-exit. The admin token is PALISADE_ADMIN_TOKEN when",
        "set, otherwise <db dir>/admin-token (generated on the first start, mode 0600).",
      ].join("\n"),
    },
    async (parsed, env, io) => {
      const node = parsed.values.node ?? localNodeName(deps.hostname());
      if (!isNodeName(node))
        throw new UsageError(
          `--node must be a DNS-1123 subdomain (e.g. worker-1); got ${JSON.stringify(node)}`,
        );
      const cwd = workingDirectory(io);
      const dbPath = resolve(cwd, requireValue(parsed, "db"));
      const stateDir = resolve(cwd, parsed.values["state-dir"] ?? resolve(dirname(dbPath), "agents", node));
      const bpffs = resolve(cwd, parsed.values.bpffs ?? `/sys/fs/bpf/palisade/${node}`);
      const log = createLogger(requireValue(parsed, "log-level"), io, deps.now);
      const say = (line: string) => io.stderr.write(`palisade up: ${line}\n`);
      const stopSignal = deps.waitForStopSignal();
      let datapath = parsed.values.datapath as "bpf" | "memory" | undefined;
      if (!datapath) {
        const chosen = await deps.defaultDatapath();
        datapath = chosen.datapath;
        if (datapath === "memory")
          log({
            level: "warn",
            msg: `datapath memory: enforcement is simulated, nothing is filtered in the kernel (${chosen.why}); run as root with the BPF objects built for the bpf datapath`,
          });
      }
      let stack: LocalStack;
      try {
        const adminToken = env.PALISADE_ADMIN_TOKEN || undefined;
        stack = await startLocalStack(
          {
            listen: requireValue(parsed, "listen"),
            dbPath,
            ...(adminToken ? { adminToken } : {}),
            node,
            stateDir,
            bpffs,
            metricsListen: requireValue(parsed, "metrics-listen"),
            datapath,
            removeOnExit: parsed.switches.has("remove-on-exit"),
            log,
          },
          await deps.loadParts(),
        );
      } catch (error) {
        io.stderr.write(`palisade up: failed to start: ${explainStartFailure(error)}\n`);
        return EXIT_FAILED;
      }
      const tokenAt = stack.adminTokenFile ?? "PALISADE_ADMIN_TOKEN (from the environment)";
      log({
        level: "info",
        msg: "palisade up",
        api: stack.url,
        adminToken: tokenAt,
        node,
        datapath,
        metrics: `${stack.metricsUrl}/metrics`,
      });
      say(`control plane at ${stack.url} (admin token: ${tokenAt})`);
      say(
        `agent for node ${node} on the ${datapath} datapath${datapath === "memory" ? " (enforcement simulated)" : ""}; metrics at ${stack.metricsUrl}/metrics`,
      );
      say(`try: npx palisade get namespaces --server ${stack.url}   (Ctrl-C stops both)`);
      const signal = await stopSignal;
      log({ level: "info", msg: "stopping", signal });
      await stack.stop();
      log({ level: "info", msg: "stopped", datapathRemoved: parsed.switches.has("remove-on-exit") });
      return EXIT_OK;
    },
  );
}

export const upCommand = createUpCommand({
  loadParts: loadStackParts,
  waitForStopSignal: processServerDeps.waitForStopSignal,
  defaultDatapath,
  hostname,
  now: () => new Date(),
});

/** One line naming what failed and its code (EADDRINUSE, enrollment.token_invalid, ...). */
export function explainStartFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && !error.message.includes(code)
    ? `${error.message} (${code})`
    : error.message;
}
