// Owns `palisade agent`: runs the node agent until SIGINT/SIGTERM, leaving the datapath enforcing
// unless --remove-on-exit.
import { resolve } from "node:path";
import type { AgentOptions, RunningAgent } from "../agent/main.ts";
import { DEFAULT_CNI_SOCKET } from "../wire/cni-socket.ts";
import { isNodeName } from "../wire/names.ts";
import { defineCommand, EXIT_FAILED, EXIT_OK } from "./command.ts";
import { requireValue, UsageError } from "./flags.ts";
import { workingDirectory } from "./io.ts";
import { createLogger } from "./log.ts";
import {
  BPFFS_FLAG,
  DATAPATH_FLAG,
  LOG_LEVEL_FLAG,
  METRICS_LISTEN_FLAG,
  NODE_FLAG,
  REMOVE_ON_EXIT_FLAG,
  SERVER_FLAG,
  STATE_DIR_FLAG,
} from "./shared-flags.ts";
import { waitForStopSignal } from "./signals.ts";

/** agent/main.ts's runAgent (a type-only import: the agent loads only when the command runs). */
export type RunAgent = (opts: AgentOptions) => Promise<Pick<RunningAgent, "stop">>;

export interface AgentDeps {
  loadRunAgent(): Promise<RunAgent>;
  waitForStopSignal(): Promise<string>;
  now(): Date;
}

export function createAgentCommand(deps: AgentDeps) {
  return defineCommand(
    {
      path: "agent",
      summary: "run the node agent (enforces policy on this node's pod interfaces with eBPF)",
      args: [],
      flags: [
        SERVER_FLAG,
        { ...NODE_FLAG, description: "this node's name (DNS-1123 subdomain); required" },
        {
          name: "enroll-token",
          type: "string",
          valueName: "TOKEN",
          description: "bootstrap token for the first start (later starts reuse the stored credential)",
          env: "PALISADE_ENROLL_TOKEN",
        },
        {
          ...STATE_DIR_FLAG,
          description:
            "where the credential and applied revision are kept (default /var/lib/palisade/<node>)",
        },
        {
          ...BPFFS_FLAG,
          description: "bpffs directory for pinned maps and links (default /sys/fs/bpf/palisade/<node>)",
        },
        METRICS_LISTEN_FLAG,
        { ...DATAPATH_FLAG, default: "bpf" },
        REMOVE_ON_EXIT_FLAG,
        {
          name: "cni-socket",
          type: "string",
          valueName: "PATH",
          description:
            "unix socket (mode 0600) serving the palisade CNI plugin, or none (default with --datapath bpf: /run/palisade/cni.sock, skipped with a warning when another agent holds it)",
        },
        {
          name: "podman",
          type: "string",
          valueName: "COMMAND",
          description: "the podman command the agent inspects CNI containers with",
          default: "podman",
        },
        {
          name: "cri-socket",
          type: "string",
          valueName: "PATH",
          description: "the CRI runtime's socket, asked for CNI pods' labels",
          default: "/run/containerd/containerd.sock",
        },
        {
          name: "flow-ring",
          type: "string",
          valueName: "N",
          description: "flows (new connections and drops, with names) kept in memory for GET /v1/flows",
          default: "16384",
        },
        {
          name: "flow-sample",
          type: "string",
          valueName: "N",
          description: "report one new connection in N per CPU as a flow (0: none, drops only; 1: every one)",
          default: "1",
        },
        // The agent reads its log level from the flag only (PALISADE_LOG_LEVEL is the server's).
        { ...LOG_LEVEL_FLAG, env: undefined },
      ],
      description: [
        "The first start enrolls with --enroll-token and stores the node credential (mode 0600) in",
        "--state-dir; later starts reuse it. Several agents with different --node, --state-dir and",
        "--bpffs can run on one host. The agent keeps enforcing while the control plane is away, and",
        "a restart neither flushes maps nor detaches programs.",
      ].join("\n"),
    },
    async (parsed, _env, io) => {
      const node = parsed.values.node;
      if (typeof node !== "string" || !isNodeName(node)) {
        throw new UsageError(
          `--node must be a DNS-1123 subdomain (e.g. worker-1); got ${JSON.stringify(node ?? null)}`,
        );
      }
      const cwd = workingDirectory(io);
      const stateDir = resolve(
        cwd,
        (parsed.values["state-dir"] as string | undefined) ?? `/var/lib/palisade/${node}`,
      );
      const bpffs = resolve(
        cwd,
        (parsed.values.bpffs as string | undefined) ?? `/sys/fs/bpf/palisade/${node}`,
      );
      const ringSize = intFlag(parsed.values["flow-ring"], "--flow-ring", 1, 1_048_576);
      const newFlowSample = intFlag(parsed.values["flow-sample"], "--flow-sample", 0, 0xffff_ffff);
      const log = createLogger(requireValue(parsed, "log-level"), io, deps.now);
      const stopSignal = deps.waitForStopSignal();
      let agent: { stop(): Promise<void> };
      try {
        const runAgent = await deps.loadRunAgent();
        const token = parsed.values["enroll-token"];
        agent = await runAgent({
          server: requireValue(parsed, "server"),
          node,
          ...(typeof token === "string" && token ? { enrollToken: token } : {}),
          stateDir,
          bpffs,
          metricsListen: requireValue(parsed, "metrics-listen"),
          datapath: requireValue(parsed, "datapath") as "bpf" | "memory",
          removeOnExit: parsed.switches.has("remove-on-exit"),
          log,
          flows: { ringSize, newFlowSample },
          ...cniOptions(parsed.values["cni-socket"], requireValue(parsed, "datapath"), {
            podman: requireValue(parsed, "podman"),
            criSocket: requireValue(parsed, "cri-socket"),
          }),
        });
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        io.stderr.write(
          `palisade agent: failed to start: ${(error as Error).message ?? String(error)}${typeof code === "string" ? ` (${code})` : ""}\n`,
        );
        return EXIT_FAILED;
      }
      const signal = await stopSignal;
      log({ level: "info", msg: "stopping", signal });
      await agent.stop();
      log({ level: "info", msg: "stopped" });
      return EXIT_OK;
    },
  );
}

/** --cni-socket: an explicit path must be served; the default is served when no other agent holds it. */
function intFlag(text: string | undefined, label: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text ?? "") || n < min || n > max) {
    throw new UsageError(
      `${label} must be an integer in ${min}..${max}; got ${JSON.stringify(text ?? null)}`,
    );
  }
  return n;
}

// The memory datapath enforces nothing in the kernel, so it serves CNI only when asked to (tests).
function cniOptions(
  flag: unknown,
  datapath: string,
  runtimes: { podman: string; criSocket: string },
): Pick<AgentOptions, "cni"> {
  const explicit = typeof flag === "string" && flag !== "" && flag !== "none";
  if (flag === "none" || (!explicit && datapath !== "bpf")) return {};
  return {
    cni: {
      socket: explicit ? resolve(flag) : DEFAULT_CNI_SOCKET,
      ...runtimes,
      ...(explicit ? {} : { optional: true }),
    },
  };
}

export const agentCommand = createAgentCommand({
  async loadRunAgent() {
    const { runAgent } = await import("../agent/main.ts");
    return runAgent;
  },
  waitForStopSignal,
  now: () => new Date(),
});
