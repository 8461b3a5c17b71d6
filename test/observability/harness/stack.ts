// Owns a running Palisade for the observability suites: the control plane on 127.0.0.1 (a free
// port, a temporary database), a policy written through the API, and agents enrolled against it
// (memory datapath always; the BPF one too when the kernel suites can run here), all stopped and
// removed by close(), also after a failed start.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningAgent, runAgent } from "../../../agent/main.ts";
import { eventually } from "../../../agent/testing/agent-harness.ts";
import { type RunningServer, startServer } from "../../../api/main.ts";
import { kernelTestSkipReason } from "../../../bpf/lib/features.ts";
import { POLICY_OBJECT } from "../../../bpf/lib/native.ts";
import { tempPinDir } from "../../../bpf/lib/testing/kernel.ts";

const ADMIN = "observability-admin-token";

export interface StackAgent {
  node: string;
  datapath: "memory" | "bpf";
  agent: RunningAgent;
  /** host:port of its /metrics listener. */
  metricsTarget: string;
}

export interface Stack {
  url: string;
  /** host:port of the control plane. */
  target: string;
  /** A read-scoped token: what Prometheus scrapes the control plane with. */
  readToken: string;
  revision: number;
  agents: StackAgent[];
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** GET path with a bearer token (or none) -> the text answer. */
  get(url: string, token?: string): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

/** Why no BPF agent joins the stack here (then only the memory one runs), or undefined. */
export function bpfAgentSkipReason(): string | undefined {
  return (
    kernelTestSkipReason() ??
    (existsSync(POLICY_OBJECT) ? undefined : `the BPF objects are not built (${POLICY_OBJECT})`)
  );
}

export async function startStack({ bpf = bpfAgentSkipReason() === undefined } = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), "palisade-observability-"));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const server: RunningServer = await startServer({
      listen: "127.0.0.1:0",
      dbPath: join(dir, "p.db"),
      adminToken: ADMIN,
      heartbeatSeconds: 1,
      log: () => {},
    });
    cleanups.push(() => server.close());
    const api: Stack["api"] = async (method, path, body) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };
    const readToken = (await api("POST", "/v1/tokens", { scope: "read", description: "prometheus" })).body
      .token as string;
    await api("PUT", "/v1/namespaces/shop", { labels: {} });
    const nodes: { node: string; datapath: "memory" | "bpf" }[] = [
      { node: "obs-memory", datapath: "memory" },
    ];
    if (bpf) nodes.push({ node: `obs-bpf-${process.pid}`, datapath: "bpf" });
    for (const [i, n] of nodes.entries()) {
      await api("PUT", `/v1/namespaces/shop/endpoints/web-${i}`, {
        labels: { app: "web" },
        node: n.node,
        interface: `obs${process.pid % 10000}w${i}`,
        ips: [`10.77.0.${i + 1}`],
        ports: [],
      });
    }
    const put = await api("PUT", "/v1/namespaces/shop/networkpolicies/web", {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "web" },
      spec: { podSelector: { matchLabels: { app: "web" } }, ingress: [{ ports: [{ port: 80 }] }] },
    });
    if (put.status !== 200 && put.status !== 201)
      throw new Error(`policy refused: ${JSON.stringify(put.body)}`);
    const revision = put.body.revision as number;
    const agents: StackAgent[] = [];
    for (const n of nodes) {
      const enrollToken = (await api("POST", "/v1/enrollment-tokens", { maxUses: 1 })).body.token as string;
      let bpffs = join(dir, `bpffs-${n.node}`);
      if (n.datapath === "bpf") {
        const pins = tempPinDir();
        cleanups.push(() => pins.remove());
        bpffs = join(pins.dir, "agent");
      }
      const agent = await runAgent({
        server: server.url,
        node: n.node,
        enrollToken,
        stateDir: join(dir, `state-${n.node}`),
        bpffs,
        metricsListen: "127.0.0.1:0",
        datapath: n.datapath,
        removeOnExit: true,
        log: () => {},
        tuning: { backoff: { initialMs: 20, maxMs: 200 } },
      });
      cleanups.push(() => agent.stop());
      agents.push({ ...n, agent, metricsTarget: new URL(agent.metricsUrl).host });
    }
    for (const a of agents) {
      await eventually(
        () => a.agent.appliedRevision() === revision,
        `${a.node} applies revision ${revision}`,
        20_000,
      );
    }
    return {
      url: server.url,
      target: new URL(server.url).host,
      readToken,
      revision,
      agents,
      api,
      get: async (url, token) => {
        const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
        return { status: res.status, text: await res.text() };
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
