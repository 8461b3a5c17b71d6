// Owns running a control plane and this node's agent in one process (`palisade up`, and `palisade
// demo` when no control plane answers): the agent is enrolled automatically with a one-use token
// created through the API with the admin token; stop() stops the agent, then the server.

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import type { AgentOptions, RunningAgent } from "../agent/main.ts";
import type { ServerOptions } from "../api/main.ts";
import type { Log } from "../lib/log.ts";
import { CliError } from "./failure.ts";

export type StartServerFn = (
  opts: ServerOptions,
) => Promise<{ url: string; adminTokenFile?: string | undefined; close(): Promise<void> }>;
export type RunAgentFn = (opts: AgentOptions) => Promise<Pick<RunningAgent, "stop" | "metricsUrl">>;

export interface LocalStackOptions {
  listen: string;
  dbPath: string;
  /** The admin token; default: PALISADE_ADMIN_TOKEN's value or <db dir>/admin-token. */
  adminToken?: string;
  node: string;
  stateDir: string;
  bpffs: string;
  metricsListen: string;
  datapath: "bpf" | "memory";
  removeOnExit: boolean;
  log: Log;
  /** Serve the CNI plugin (`palisade up --cni`). */
  cni?: AgentOptions["cni"];
}

export interface LocalStack {
  url: string;
  adminToken: string;
  adminTokenFile?: string | undefined;
  metricsUrl: string;
  stop(): Promise<void>;
}

export interface StackParts {
  startServer: StartServerFn;
  runAgent: RunAgentFn;
}

/** The real parts, imported only when a command runs (so `--help` loads neither). */
export async function loadStackParts(): Promise<StackParts> {
  const [{ startServer }, { runAgent }] = await Promise.all([
    import("../api/main.ts"),
    import("../agent/main.ts"),
  ]);
  return { startServer, runAgent };
}

const DNS_LABEL_EDGES = /^-+|-+$/g;

/** This host's name as a node name: lowercased, every run of other characters turned into `-`. */
export function localNodeName(name: string = hostname()): string {
  const labels = name
    .toLowerCase()
    .split(".")
    .map((label) => label.replace(/[^a-z0-9-]+/g, "-").replace(DNS_LABEL_EDGES, ""))
    .filter((label) => label.length > 0);
  const joined = labels
    .join(".")
    .slice(0, 253)
    .replace(/[.-]+$/, "");
  return joined || "local-node";
}

/** bpf when running as root with the BPF objects built; otherwise memory (simulated). */
export async function defaultDatapath(): Promise<{ datapath: "bpf" | "memory"; why: string }> {
  if (typeof process.getuid === "function" && process.getuid() !== 0)
    return { datapath: "memory", why: "not running as root" };
  const { POLICY_OBJECT } = await import("../bpf/lib/native.ts");
  if (!existsSync(POLICY_OBJECT))
    return {
      datapath: "memory",
      why: `the BPF objects are not built (${POLICY_OBJECT}; run npm run build:bpf)`,
    };
  return { datapath: "bpf", why: "running as root with the BPF objects built" };
}

async function enrollmentToken(
  url: string,
  adminToken: string,
  o: LocalStackOptions,
): Promise<string | undefined> {
  const headers = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
  const node = await fetch(`${url}/v1/nodes/${encodeURIComponent(o.node)}`, { headers });
  const credentialFile = join(o.stateDir, "credential.json");
  if (existsSync(credentialFile)) {
    if (node.status !== 404) return undefined;
    throw new CliError(
      `${credentialFile} holds a credential for node ${o.node}, which this control plane (${o.dbPath}) does not know: remove it to enroll again`,
    );
  }
  const res = await fetch(`${url}/v1/enrollment-tokens`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      ttlSeconds: 300,
      maxUses: 1,
      allowReenroll: true,
      description: `palisade up: ${o.node}`,
    }),
  });
  const body = (await res.json()) as { token?: string };
  if (!res.ok || !body.token)
    throw new CliError(`creating an enrollment token failed: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}

export async function startLocalStack(o: LocalStackOptions, parts: StackParts): Promise<LocalStack> {
  if (o.dbPath !== ":memory:") mkdirSync(dirname(o.dbPath), { recursive: true, mode: 0o700 });
  const server = await parts.startServer({
    listen: o.listen,
    dbPath: o.dbPath,
    log: o.log,
    ...(o.adminToken ? { adminToken: o.adminToken } : {}),
  });
  try {
    const adminToken = o.adminToken ?? readFileSync(server.adminTokenFile!, "utf8").trim();
    const enrollToken = await enrollmentToken(server.url, adminToken, o);
    const agent = await parts.runAgent({
      server: server.url,
      node: o.node,
      ...(enrollToken ? { enrollToken } : {}),
      stateDir: o.stateDir,
      bpffs: o.bpffs,
      metricsListen: o.metricsListen,
      datapath: o.datapath,
      removeOnExit: o.removeOnExit,
      log: o.log,
      ...(o.cni ? { cni: o.cni } : {}),
    });
    let stopping: Promise<void> | undefined;
    return {
      url: server.url,
      adminToken,
      adminTokenFile: server.adminTokenFile,
      metricsUrl: agent.metricsUrl,
      stop: () => {
        stopping ??= (async () => {
          try {
            await agent.stop();
          } finally {
            await server.close();
          }
        })();
        return stopping;
      },
    };
  } catch (e) {
    await server.close();
    throw e;
  }
}
