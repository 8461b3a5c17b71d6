// Owns the flags several commands take, so a flag means the same everywhere: its name, value,
// environment variable, default and choices. A command may word the description (and the shown
// default) for itself by spreading the spec and replacing those fields; nothing else.
import type { FlagSpec } from "./command.ts";
import { LOG_LEVELS } from "./log.ts";

export const DEFAULT_SERVER = "http://127.0.0.1:7400";
export const DEFAULT_NAMESPACE = "default";

/** `--server`: the control plane a client command or an agent talks to. */
export const SERVER_FLAG: FlagSpec = {
  name: "server",
  type: "string",
  valueName: "URL",
  description: "control plane URL",
  default: DEFAULT_SERVER,
  env: "PALISADE_SERVER",
};

/** `-n/--namespace`, for the commands that address namespaced objects. */
export const NAMESPACE_FLAG: FlagSpec = {
  name: "namespace",
  short: "n",
  type: "string",
  valueName: "NAMESPACE",
  description: "namespace of endpoints and network policies",
  default: DEFAULT_NAMESPACE,
};

/** `--listen`, shared by the commands that run a control plane. */
export const LISTEN_FLAG: FlagSpec = {
  name: "listen",
  type: "string",
  valueName: "HOST:PORT",
  description: "address of the REST API (port 0 picks a free one)",
  default: "127.0.0.1:7400",
  env: "PALISADE_LISTEN",
};

/** `--db`: the control plane's SQLite file. */
export const DB_FLAG: FlagSpec = {
  name: "db",
  type: "string",
  valueName: "FILE",
  description: "SQLite database file; its directory is created if missing",
  default: "./data/palisade.db",
  env: "PALISADE_DB",
};

/** `--log-level` as the control plane reads it (also from PALISADE_LOG_LEVEL). */
export const LOG_LEVEL_FLAG: FlagSpec = {
  name: "log-level",
  type: "string",
  valueName: "LEVEL",
  description: "least severe log line written",
  default: "info",
  env: "PALISADE_LOG_LEVEL",
  choices: LOG_LEVELS,
};

// The agent's flags (`palisade agent`, and `palisade up` for the agent it runs).

/** `--node`: the node an agent enforces for; no default here (each command has its own rule). */
export const NODE_FLAG: FlagSpec = {
  name: "node",
  type: "string",
  valueName: "NAME",
  description: "this node's name (DNS-1123 subdomain)",
  env: "PALISADE_NODE",
};

export const STATE_DIR_FLAG: FlagSpec = {
  name: "state-dir",
  type: "string",
  valueName: "DIR",
  description: "the agent's credential and applied revision",
};

export const BPFFS_FLAG: FlagSpec = {
  name: "bpffs",
  type: "string",
  valueName: "DIR",
  description: "bpffs directory for pinned maps and links",
};

export const METRICS_LISTEN_FLAG: FlagSpec = {
  name: "metrics-listen",
  type: "string",
  valueName: "HOST:PORT",
  description: "address of /metrics, /healthz and /readyz",
  default: "127.0.0.1:9474",
};

/** `--datapath`; without a default here (the agent defaults to bpf, `up` picks by privilege). */
export const DATAPATH_FLAG: FlagSpec = {
  name: "datapath",
  type: "string",
  valueName: "KIND",
  description: "bpf (the kernel) or memory (simulation)",
  choices: ["bpf", "memory"],
};

export const REMOVE_ON_EXIT_FLAG: FlagSpec = {
  name: "remove-on-exit",
  type: "boolean",
  description: "on stop, detach programs and remove pinned maps (default: keep enforcing)",
};
