// Owns the IPC between fanout.bench.ts and its fleet processes (agents.ts, protocol-agents.ts): the
// requests, the answers and the statistics a fleet reports.

export interface AgentsRequest {
  type: "start";
  server: string;
  enrollToken: string;
  nodes: string[];
  /** Each node's state dir is `<stateRoot>/<node>`. */
  stateRoot: string;
  /** Agents started at once (enrollment and the first connection). */
  batch: number;
}

/** `reconnect`: from now on a closed stream is reopened (before a control-plane restart). */
export type AgentsCommand = { type: "stats" } | { type: "stop" } | { type: "reconnect" };

export interface AgentsStats {
  agents: number;
  ready: number;
  /** Snapshots received after a reconnection (protocol agents; a resume should get none). */
  snapshotsAfterReconnect?: number;
  /**
   * Protocol agents, after a `reconnect` command: per agent welcomed again since, ms from the
   * command to its welcome (the parent sends the command just before it kills the control plane).
   */
  welcomedAfterMs?: number[];
  rssBytes: number;
  heapUsedBytes: number;
  /** CPU time (user + system) the process used so far, in seconds. */
  cpuSeconds: number;
  /** Log lines at warn and error level, by message (a healthy run has few). */
  problems: Record<string, number>;
}

export type AgentsAnswer =
  | { type: "started"; agents: number; ms: number }
  | ({ type: "stats" } & AgentsStats)
  | { type: "stopped" }
  | { type: "error"; message: string };

export function cpuSeconds(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
}
