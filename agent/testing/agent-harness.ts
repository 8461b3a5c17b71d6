// Owns starting agents against the fake control plane in tests: temp state dirs, memory datapath,
// fast timings, captured logs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NodeState } from "../../wire/entries.ts";
import { ep, ip, pol } from "../../wire/testing.ts";
import { sortedState } from "../datapath/datapath.case.ts";
import type { DatapathState } from "../datapath/datapath.ts";
import { type AgentOptions, type AgentTuning, type RunningAgent, runAgent } from "../main.ts";
import type { FakeControlPlane } from "./fake-control-plane.ts";

let run = 0;

export interface AgentFixture {
  node: string;
  stateDir: string;
  bpffs: string;
  logs: Record<string, unknown>[];
  start(over?: Partial<AgentOptions> & { tuning?: Partial<AgentTuning> }): Promise<RunningAgent>;
  cleanup(): void;
}

export function agentFixture(cp: FakeControlPlane, node = `node-${process.pid}-${++run}`): AgentFixture {
  const stateDir = mkdtempSync(join(tmpdir(), "palisade-agent-"));
  const bpffs = `memory:${stateDir}`;
  const logs: Record<string, unknown>[] = [];
  const token = `tok-${node}`;
  cp.tokens.add(token);
  return {
    node,
    stateDir,
    bpffs,
    logs,
    start: (over = {}) =>
      runAgent({
        server: cp.url,
        node,
        enrollToken: token,
        stateDir,
        bpffs,
        metricsListen: "127.0.0.1:0",
        datapath: "memory",
        log: (l) => logs.push(l),
        ...over,
        tuning: {
          backoff: { initialMs: 20, maxMs: 200, jitter: 0 },
          rotateEveryMs: null,
          resyncMs: 60_000,
          pendingRetryMs: 50,
          ...over.tuning,
        },
      }),
    cleanup: () => rmSync(stateDir, { recursive: true, force: true }),
  };
}

/** What the datapath should read back once `s` is enforced (every interface exists). */
export function enforced(s: NodeState): DatapathState {
  return sortedState({ ...s, attached: s.endpoints.map((e) => e.interface) });
}

export async function readSorted(agent: RunningAgent): Promise<DatapathState> {
  return sortedState(await agent.datapath.read());
}

export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 3000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const STATE_A: NodeState = {
  ipcache: [ip("10.1.0.7/32", 300), ip("10.1.0.8/32", 301)],
  endpoints: [ep("pod-a")],
  policies: [pol({ remoteIdentity: 301 })],
};
