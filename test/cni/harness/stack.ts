// Owns a Palisade node for the CNI tests: a real `palisade server` and `palisade agent --datapath
// bpf --cni-socket` (processes), the palisade plugin in the run's CNI bin dir, and a test network
// whose conflist chains palisade after bridge + host-local. Runtimes (containerd, podman) are
// started by the test on the same run dirs, after the stack (the conflist must exist first).
import { existsSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { type Api, createApi } from "../../e2e/harness/api.ts";
import { onCleanup } from "../../e2e/harness/cleanup.ts";
import { freePort } from "../../e2e/harness/cluster.ts";
import { type PalisadeProcess, startPalisade } from "../../e2e/harness/processes.ts";
import { createTestNetwork, type TestNetwork } from "./network.ts";
import type { RunDirs } from "./run-dirs.ts";

export const PLUGIN = join(import.meta.dirname, "..", "..", "..", "cni", "build", "palisade");
const ADMIN = "cni-test-admin-token";

export interface CniStack {
  api: Api;
  node: string;
  net: TestNetwork;
  socket: string;
  /** The agent's pins (maps/ and links/). */
  bpffs: string;
  /** The agent's /metrics URL. */
  metricsUrl: string;
  server: PalisadeProcess;
  agent(): PalisadeProcess;
  /** Starts the agent (enrolling on the first start); `runtimes` says how it reaches them. */
  startAgent(): Promise<PalisadeProcess>;
  stopAgent(signal?: NodeJS.Signals): Promise<number | null>;
  /** The endpoints the agent's node holds, as `namespace/name`. */
  endpoints(): Promise<
    {
      namespace: string;
      name: string;
      labels: Record<string, string>;
      labelsPending?: boolean;
      interface: string;
      workload?: { runtime: string; containerId: string };
    }[]
  >;
  teardown(): Promise<void>;
}

export interface StackOptions {
  /** containerd's socket (the agent's --cri-socket). */
  criSocket?: () => string;
  /** The podman command the agent inspects containers with. */
  podman?: () => string;
  /** The plugin config's default namespace (podman containers without the label). */
  namespace?: string;
}

export async function startCniStack(dirs: RunDirs, o: StackOptions = {}): Promise<CniStack> {
  if (!existsSync(PLUGIN)) throw new Error(`${PLUGIN} is missing: run npm run build:cni`);
  symlinkSync(PLUGIN, join(dirs.binDir, "palisade"));
  const socket = join(dirs.root, "agent", "cni.sock");
  const net = createTestNetwork(dirs, {
    plugins: [
      {
        type: "palisade",
        agentSocket: socket,
        namespace: o.namespace ?? "default",
        capabilities: { "io.kubernetes.cri.pod-annotations": true },
      },
    ],
  });
  const node = `${dirs.prefix}-node`;
  const bpffs = `/sys/fs/bpf/palisade-cni-${dirs.prefix}`;
  const releaseBpffs = onCleanup(`bpffs ${bpffs}`, () => rmSync(bpffs, { recursive: true, force: true }));
  const url = `http://127.0.0.1:${await freePort()}`;
  const api = createApi(url, ADMIN);
  const server = startPalisade(
    ["server", "--listen", url.slice("http://".length), "--db", join(dirs.root, "server", "p.db")],
    { PALISADE_ADMIN_TOKEN: ADMIN },
  );
  await server.waitFor((l) => l.msg === "control plane listening");
  let agent: PalisadeProcess | undefined;
  let enrolled = false;
  const metricsListen = `127.0.0.1:${await freePort()}`;

  const stack: CniStack = {
    api,
    node,
    net,
    socket,
    bpffs,
    metricsUrl: `http://${metricsListen}/metrics`,
    server,
    agent: () => {
      if (!agent) throw new Error("the agent is not running");
      return agent;
    },
    async startAgent() {
      const token = enrolled
        ? undefined
        : ((await api.must("POST", "/v1/enrollment-tokens", {})).token as string);
      const args = ["agent", "--server", url, "--node", node, "--datapath", "bpf", "--cni-socket", socket];
      args.push("--state-dir", join(dirs.root, "agent", "state"), "--bpffs", bpffs);
      args.push("--metrics-listen", metricsListen);
      if (token) args.push("--enroll-token", token);
      if (o.criSocket) args.push("--cri-socket", o.criSocket());
      if (o.podman) args.push("--podman", o.podman());
      agent = startPalisade(args);
      await agent.waitFor((l) => l.msg === "cni socket listening");
      await agent.waitFor((l) => l.msg === "agent state" && l.to === "ready", 20_000).catch(() => undefined);
      enrolled = true;
      return agent;
    },
    async stopAgent(signal = "SIGTERM") {
      const a = agent;
      agent = undefined;
      return a ? a.stop(signal) : null;
    },
    async endpoints() {
      return (await api.must("GET", `/v1/nodes/${node}/endpoints`)).items;
    },
    async teardown() {
      await stack.stopAgent();
      await server.stop();
      net.remove();
      // The agent leaves its pins by default (enforcing across restarts); the test run removes them.
      releaseBpffs();
    },
  };
  return stack;
}
