// Owns `palisade up`: a control plane on the embedded default and an agent for this node in one
// process, the agent enrolled automatically; Ctrl-C or SIGTERM stops both (the datapath stays
// unless --remove-on-exit).
import { hostname } from "node:os";
import { dirname, resolve } from "node:path";
import { NETWORK_DEFAULTS } from "../cni/conflist.ts";
import { DEFAULT_CONF_DIR, defaultBinDir, installCni } from "../cni/install.ts";
import { DEFAULT_CNI_SOCKET } from "../wire/cni-socket.ts";
import { isNodeName } from "../wire/names.ts";
import { defineCommand, EXIT_FAILED, EXIT_OK } from "./command.ts";
import { explainError } from "./failure.ts";
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
import { createLogger } from "./log.ts";
import {
  BPFFS_FLAG,
  DATAPATH_FLAG,
  DB_FLAG,
  LISTEN_FLAG,
  LOG_LEVEL_FLAG,
  METRICS_LISTEN_FLAG,
  NODE_FLAG,
  REMOVE_ON_EXIT_FLAG,
  STATE_DIR_FLAG,
} from "./shared-flags.ts";
import { waitForStopSignal } from "./signals.ts";

export interface UpDeps {
  loadParts(): Promise<StackParts>;
  /** `--cni`: puts the plugin and its conflist in place (what `palisade cni install` does). */
  installCni(): { binary: string; conflist: string };
  /** The agent's CNI socket with `--cni` (the plugin config's `agentSocket`). */
  cniSocket: string;
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
        { ...DB_FLAG, description: "SQLite database file; the admin token is written beside it" },
        { ...NODE_FLAG, defaultText: "the host name, lowercased and sanitized" },
        { ...STATE_DIR_FLAG, defaultText: "<db dir>/agents/<node>" },
        { ...BPFFS_FLAG, defaultText: "/sys/fs/bpf/palisade/<node>" },
        { ...METRICS_LISTEN_FLAG, description: "address of the agent's /metrics, /healthz and /readyz" },
        {
          ...DATAPATH_FLAG,
          description: "bpf (the kernel) or memory (enforcement simulated)",
          defaultText: "bpf as root with the BPF objects built, else memory",
        },
        REMOVE_ON_EXIT_FLAG,
        {
          name: "cni",
          type: "boolean",
          description:
            "also install the palisade CNI plugin and a bridge + host-local + palisade conflist (as `palisade cni install` with its defaults) and serve it",
        },
        LOG_LEVEL_FLAG,
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
      const cni = parsed.switches.has("cni");
      if (cni && datapath !== "bpf") {
        throw new UsageError(
          "--cni needs the bpf datapath: pods must be enforced in the kernel (run as root)",
        );
      }
      let stack: LocalStack;
      try {
        if (cni) {
          const placed = deps.installCni();
          say(
            `CNI plugin at ${placed.binary}, network in ${placed.conflist} (palisade cni uninstall removes them)`,
          );
        }
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
            ...(cni ? { cni: { socket: deps.cniSocket } } : {}),
          },
          await deps.loadParts(),
        );
      } catch (error) {
        io.stderr.write(`palisade up: failed to start: ${explainError(error)}\n`);
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
  installCni: () => installCni({ binDir: defaultBinDir(), confDir: DEFAULT_CONF_DIR }, NETWORK_DEFAULTS),
  cniSocket: DEFAULT_CNI_SOCKET,
  waitForStopSignal,
  defaultDatapath,
  hostname,
  now: () => new Date(),
});
