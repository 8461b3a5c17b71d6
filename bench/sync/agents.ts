// Owns one group of simulated nodes for the fan-out benchmark: a child process that runs the real
// agent (`runAgent`, memory datapath) for each node it is given, against the control plane on
// 127.0.0.1, and stops them when told to or when the parent goes away.
// Started by fanout.bench.ts (`fork` with `--import tsx`); not meant to be run by hand.

import { rmSync } from "node:fs";
import { join } from "node:path";
import { type RunningAgent, runAgent } from "../../agent/main.ts";
import type { Log } from "../../lib/log.ts";
import {
  type AgentsAnswer,
  type AgentsCommand,
  type AgentsRequest,
  type AgentsStats,
  cpuSeconds,
} from "./fleet-ipc.ts";

const problems: Record<string, number> = {};
const log: Log = (line) => {
  if (line.level === "warn" || line.level === "error") {
    const key = `${line.level}: ${String(line.msg)}`;
    problems[key] = (problems[key] ?? 0) + 1;
  }
};

async function startAll(req: AgentsRequest, agents: RunningAgent[]): Promise<void> {
  for (let start = 0; start < req.nodes.length; start += req.batch) {
    const batch = req.nodes.slice(start, start + req.batch).map((node) =>
      runAgent({
        server: req.server,
        node,
        enrollToken: req.enrollToken,
        stateDir: join(req.stateRoot, node),
        bpffs: `bench-sync/${node}`,
        metricsListen: "127.0.0.1:0",
        datapath: "memory",
        log,
        tuning: { rotateEveryMs: null },
      }),
    );
    agents.push(...(await Promise.all(batch)));
  }
}

function stats(agents: RunningAgent[]): AgentsStats {
  const m = process.memoryUsage();
  return {
    agents: agents.length,
    ready: agents.filter((a) => a.state() === "ready").length,
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
    cpuSeconds: cpuSeconds(),
    problems,
  };
}

function main(): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error("agents.ts must be started by fanout.bench.ts (fork, with IPC)");
  const agents: RunningAgent[] = [];
  let stopping = false;
  let stateRoot: string | undefined;
  const stop = async (orphaned: boolean) => {
    if (stopping) return;
    stopping = true;
    const all = Promise.all(agents.map((a) => a.stop().catch(() => {})));
    await Promise.race([all, new Promise((r) => setTimeout(r, 5_000))]);
    // The parent removes the state dirs itself, unless it died before it could.
    if (orphaned && stateRoot) rmSync(stateRoot, { recursive: true, force: true });
    if (process.connected) send({ type: "stopped" } satisfies AgentsAnswer);
    process.exit(0);
  };
  // The parent going away (crash included) ends this process too.
  process.once("disconnect", () => void stop(true));
  process.on("message", (msg: AgentsRequest | AgentsCommand) => {
    if (msg.type === "stop") void stop(false);
    if (msg.type === "stats") send({ type: "stats", ...stats(agents) } satisfies AgentsAnswer);
    if (msg.type !== "start") return;
    stateRoot = msg.stateRoot;
    const started = performance.now();
    startAll(msg, agents).then(
      () => send({ type: "started", agents: agents.length, ms: performance.now() - started }),
      (e: unknown) => send({ type: "error", message: e instanceof Error ? e.message : String(e) }),
    );
  });
}

main();
