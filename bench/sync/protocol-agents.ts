// Owns the protocol-only fleet of the fan-out benchmark (`--kind protocol`): a child process of
// minimal agents that enroll, speak wire/sync.ts (hello -> snapshot -> ack; delta -> ack; heartbeat
// -> heartbeat_ack) and apply nothing, so the figures isolate the control plane's delivery and ack
// handling from the agents' apply work. They reconnect as the real agent does (its backoff, its
// handshake timeout, hello sent on open). Same IPC as agents.ts; started by fanout.bench.ts.
import WebSocket from "ws";
import { backoffDelay } from "../../agent/sync/backoff.ts";
import { type ServerMessage, SYNC_PROTOCOL_VERSION, SYNC_STREAM_PATH } from "../../wire/sync.ts";
import {
  type AgentsAnswer,
  type AgentsCommand,
  type AgentsRequest,
  type AgentsStats,
  cpuSeconds,
} from "./fleet-ipc.ts";

interface Minimal {
  node: string;
  credential: string;
  ws: WebSocket;
  held: number | null;
  /** Streams this agent opened after the first (reconnections after a control-plane restart). */
  reconnects: number;
  /** Snapshots received after a reconnection (a resume from the log sends a delta or nothing). */
  snapshotsAfterReconnect: number;
  /** Connection attempts since the stream was last healthy (an ack or a heartbeat): the backoff's step. */
  attempt: number;
  /** When the last welcome arrived (performance.now()): the stream is back. */
  welcomed: number | undefined;
}

/** The real agent's handshake timeout (agent/sync/client.ts). */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Set by the `reconnect` command: the control plane is about to restart, closes are expected. */
let restarting = false;
/** When the `reconnect` command came (performance.now()). */
let restartAt: number | undefined;

const problems: Record<string, number> = {};
const problem = (what: string) => (problems[what] = (problems[what] ?? 0) + 1);

async function enroll(server: string, token: string, node: string): Promise<string> {
  const res = await fetch(`${server}/v1/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token, node, agentVersion: "bench-protocol" }),
  });
  const body = (await res.json()) as { credential?: string; error?: { code: string } };
  if (!body.credential) throw new Error(`enrollment of ${node} refused: ${body.error?.code ?? res.status}`);
  return body.credential;
}

async function connect(server: string, node: string, credential: string): Promise<Minimal> {
  const agent: Minimal = {
    node,
    credential,
    ws: undefined as unknown as WebSocket,
    held: null,
    reconnects: 0,
    snapshotsAfterReconnect: 0,
    attempt: 0,
    welcomed: undefined,
  };
  await open(server, agent);
  return agent;
}

/**
 * Opens the agent's stream and says hello with the revision it holds, as the real agent does
 * (agent/sync/client.ts): the hello goes out in the open event itself, and the handshake gives up
 * after 10 s. Resolves once open; rejects when this attempt failed (the caller retries).
 */
function open(server: string, agent: Minimal): Promise<void> {
  const ws = new WebSocket(`${server.replace(/^http/, "ws")}${SYNC_STREAM_PATH}`, {
    headers: { authorization: `Bearer ${agent.credential}` },
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
  });
  agent.ws = ws;
  const send = (msg: unknown) => ws.send(JSON.stringify(msg));
  ws.on("message", (data) => {
    const msg = JSON.parse(data.toString()) as ServerMessage;
    if (msg.type === "heartbeat") {
      agent.attempt = 0; // the real agent's backoff starts over once the stream is healthy
      return send({ type: "heartbeat_ack", seq: msg.seq });
    }
    if (msg.type === "snapshot") {
      agent.held = msg.revision;
      if (agent.reconnects > 0) agent.snapshotsAfterReconnect++;
    } else if (msg.type === "delta") {
      if (msg.fromRevision !== agent.held) problem("delta not on top of the held revision");
      agent.held = msg.toRevision;
    } else if (msg.type === "welcome") {
      agent.welcomed = performance.now();
      return;
    } else return;
    agent.attempt = 0;
    send({ type: "ack", revision: agent.held });
  });
  let opened = false;
  // A stream that never opened is retried by its caller; one that was open and closes is reopened.
  ws.on("close", (code) => {
    if (!opened) return;
    // Counted as a problem unless a restart was announced; reopened either way, as an agent would.
    if (!restarting) problem(`stream closed (${code})`);
    void reopen(server, agent);
  });
  return new Promise<void>((resolve, reject) => {
    ws.once("open", () => {
      opened = true;
      send({
        type: "hello",
        protocol: SYNC_PROTOCOL_VERSION,
        node: agent.node,
        agentVersion: "bench-protocol",
        appliedRevision: agent.held,
      });
      resolve();
    });
    ws.on("error", reject); // after the open, errors end in close
  });
}

/**
 * Reopens a closed stream on the real agent's schedule (agent/sync/backoff.ts with the agent's
 * defaults: 500 ms doubling to 30 s, half of each delay random), counting attempts since the
 * stream was last healthy.
 */
async function reopen(server: string, agent: Minimal): Promise<void> {
  for (;;) {
    await new Promise((r) => setTimeout(r, backoffDelay(agent.attempt++)));
    try {
      agent.reconnects++;
      await open(server, agent);
      return;
    } catch {}
  }
}

async function startAll(req: AgentsRequest, agents: Minimal[]): Promise<void> {
  for (let start = 0; start < req.nodes.length; start += req.batch) {
    const batch = req.nodes
      .slice(start, start + req.batch)
      .map(async (node) => connect(req.server, node, await enroll(req.server, req.enrollToken, node)));
    agents.push(...(await Promise.all(batch)));
  }
}

function stats(agents: Minimal[]): AgentsStats {
  const m = process.memoryUsage();
  return {
    agents: agents.length,
    ready: agents.filter((a) => a.held !== null && a.ws.readyState === WebSocket.OPEN).length,
    snapshotsAfterReconnect: agents.reduce((n, a) => n + a.snapshotsAfterReconnect, 0),
    welcomedAfterMs:
      restartAt === undefined
        ? undefined
        : agents.flatMap((a) =>
            a.welcomed !== undefined && a.welcomed > restartAt! ? [a.welcomed - restartAt!] : [],
          ),
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
    cpuSeconds: cpuSeconds(),
    problems,
  };
}

function main(): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error("protocol-agents.ts must be started by fanout.bench.ts (fork, with IPC)");
  const agents: Minimal[] = [];
  const stop = () => {
    restarting = true;
    for (const a of agents) {
      a.ws.removeAllListeners("close");
      a.ws.terminate();
    }
    if (process.connected) send({ type: "stopped" } satisfies AgentsAnswer);
    process.exit(0);
  };
  process.once("disconnect", stop);
  process.on("message", (msg: AgentsRequest | AgentsCommand) => {
    if (msg.type === "stop") stop();
    if (msg.type === "reconnect") {
      restarting = true;
      restartAt = performance.now();
    }
    if (msg.type === "stats") send({ type: "stats", ...stats(agents) } satisfies AgentsAnswer);
    if (msg.type !== "start") return;
    const started = performance.now();
    startAll(msg, agents).then(
      () => send({ type: "started", agents: agents.length, ms: performance.now() - started }),
      (e: unknown) => send({ type: "error", message: e instanceof Error ? e.message : String(e) }),
    );
  });
}

main();
