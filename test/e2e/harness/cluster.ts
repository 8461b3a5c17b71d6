// Owns one end-to-end cluster: the section-7 topology, a real `palisade server` and one
// `palisade agent --datapath bpf` per node (processes), the namespaces and endpoints registered
// through the REST API, and the operations cases need (policies, labels, restarts, reset).
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPrefix } from "../../../lib/netns/names.ts";
import type { Prober } from "../../../lib/netns/prober.ts";
import { createTopology, type Pod, type Topology } from "../../../lib/netns/topology.ts";
import { type Api, createApi } from "./api.ts";
import { onCleanup } from "./cleanup.ts";
import { type PalisadeProcess, startPalisade } from "./processes.ts";

export interface ClusterSpec {
  /** Namespace name -> labels (kubernetes.io/metadata.name is added by the server). */
  namespaces: Record<string, Record<string, string>>;
  pods: { namespace: string; name: string; labels: Record<string, string>; node: string }[];
  nodes: string[];
  /** Served on TCP and UDP by every pod, with named ports serve-<port>-<tcp|udp>. */
  ports: number[];
  prefix?: string;
}

export interface NamedPort {
  name: string;
  port: number;
  protocol: "TCP" | "UDP";
}

/** A topology pod as the cluster knows it: `name` is the pod's name in `namespace`. */
export interface ClusterPod extends Omit<Pod, "name"> {
  namespace: string;
  name: string;
  /** `namespace/name`. */
  key: string;
  labels: Record<string, string>;
  /** The endpoint's named ports (default: serve-<port>-<tcp|udp> for every served port). */
  ports: NamedPort[];
  node: string;
}

/** The section-7 topology of a cluster, with a prober in the host's namespace. */
export type ClusterTopology = Topology & { hostProber: Prober };

export interface Cluster {
  api: Api;
  topo: ClusterTopology;
  pods: ClusterPod[];
  pod(key: string): ClusterPod;
  server: PalisadeProcess;
  agents: Map<string, PalisadeProcess>;
  /** node -> host:port of its agent's /metrics listener (what Prometheus scrapes). */
  metricsTargets: Map<string, string>;
  /** Writes a NetworkPolicy and waits until every agent applied it; returns the revision. */
  applyPolicy(namespace: string, policy: Record<string, unknown>): Promise<number>;
  deletePolicy(namespace: string, name: string): Promise<number>;
  /** Writes a ClusterNetworkPolicy and waits until every agent applied it; returns the revision. */
  applyClusterPolicy(policy: Record<string, unknown>): Promise<number>;
  deleteClusterPolicy(name: string): Promise<number>;
  /** Deletes every policy (cluster policies too) and restores the spec's labels and named ports; waits for the agents. */
  reset(): Promise<void>;
  setPodLabels(key: string, labels: Record<string, string>): Promise<number>;
  setNamespaceLabels(namespace: string, labels: Record<string, string>): Promise<number>;
  /** Rewrites a pod's named ports (what it serves does not change). */
  setPodPorts(key: string, ports: NamedPort[]): Promise<number>;
  startAgent(node: string): Promise<PalisadeProcess>;
  stopAgent(node: string, signal?: NodeJS.Signals): Promise<number | null>;
  startServer(): Promise<void>;
  stopServer(): Promise<number | null>;
  waitConnected(node: string, timeoutMs?: number): Promise<void>;
  teardown(): Promise<void>;
}

const ADMIN = "e2e-admin-token";

export function namedPorts(ports: number[]): NamedPort[] {
  return ports.flatMap((port) =>
    (["TCP", "UDP"] as const).map((protocol) => ({
      name: `serve-${port}-${protocol.toLowerCase()}`,
      port,
      protocol,
    })),
  );
}

/** A TCP port free on loopback now (for a process that binds it next). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

export async function startCluster(spec: ClusterSpec): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "palisade-e2e-"));
  // Pod x/a lives in network namespace <prefix>-x-a; every port is served on TCP and UDP.
  const topo = (await createTopology({
    prefix: spec.prefix ?? runPrefix("e"),
    pods: spec.pods.map((p) => `${p.namespace}-${p.name}`),
    serve: { tcp: spec.ports, udp: spec.ports },
    hostProber: true,
    track: onCleanup,
  })) as ClusterTopology;
  const bpffsRoot = `/sys/fs/bpf/palisade-e2e-${topo.prefix}`;
  const releaseDirs = onCleanup(`dirs ${topo.prefix}`, () => {
    rmSync(bpffsRoot, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });
  const pods: ClusterPod[] = topo.pods.map(({ netns, hostIf, ip, prober }, i) => {
    const { namespace, name, labels, node } = spec.pods[i]!;
    return {
      namespace,
      name,
      key: `${namespace}/${name}`,
      netns,
      hostIf,
      ip,
      prober,
      labels: { ...labels },
      node,
      ports: namedPorts(spec.ports),
    };
  });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const api = createApi(url, ADMIN);
  const agents = new Map<string, PalisadeProcess>();
  const metricsTargets = new Map<string, string>();
  let server: PalisadeProcess | undefined;

  const endpointBody = (p: ClusterPod) => ({
    labels: p.labels,
    node: p.node,
    interface: p.hostIf,
    ips: [p.ip],
    ports: p.ports,
  });
  const waitAll = (revision: number) => api.syncWait(revision);

  const cluster: Cluster = {
    api,
    topo,
    pods,
    pod: (key) => {
      const p = pods.find((q) => q.key === key);
      if (!p) throw new Error(`no pod ${key}`);
      return p;
    },
    get server() {
      if (!server) throw new Error("the server is not running");
      return server;
    },
    agents,
    metricsTargets,
    async applyPolicy(namespace, policy) {
      const name = (policy.metadata as { name: string }).name;
      const r = await api.must("PUT", `/v1/namespaces/${namespace}/networkpolicies/${name}`, policy);
      await waitAll(r.revision);
      return r.revision;
    },
    async deletePolicy(namespace, name) {
      const r = await api.must("DELETE", `/v1/namespaces/${namespace}/networkpolicies/${name}`);
      await waitAll(r.revision);
      return r.revision;
    },
    async applyClusterPolicy(policy) {
      const name = (policy.metadata as { name: string }).name;
      const r = await api.must("PUT", `/v1/clusternetworkpolicies/${name}`, policy);
      await waitAll(r.revision);
      return r.revision;
    },
    async deleteClusterPolicy(name) {
      const r = await api.must("DELETE", `/v1/clusternetworkpolicies/${name}`);
      await waitAll(r.revision);
      return r.revision;
    },
    async reset() {
      let revision = 0;
      const cnps = await api.must("GET", "/v1/clusternetworkpolicies");
      for (const item of cnps.items as { metadata: { name: string } }[]) {
        revision = (await api.must("DELETE", `/v1/clusternetworkpolicies/${item.metadata.name}`)).revision;
      }
      for (const ns of Object.keys(spec.namespaces)) {
        const list = await api.must("GET", `/v1/namespaces/${ns}/networkpolicies`);
        for (const item of list.items as { metadata: { name: string } }[]) {
          const r = await api.must("DELETE", `/v1/namespaces/${ns}/networkpolicies/${item.metadata.name}`);
          revision = r.revision;
        }
        const current = await api.must("GET", `/v1/namespaces/${ns}`);
        const want = { ...spec.namespaces[ns], "kubernetes.io/metadata.name": ns };
        if (JSON.stringify(sorted(current.labels)) !== JSON.stringify(sorted(want)))
          revision = (await api.must("PUT", `/v1/namespaces/${ns}`, { labels: spec.namespaces[ns] }))
            .revision;
      }
      for (const [i, p] of pods.entries()) {
        const want = spec.pods[i]!.labels;
        const wantPorts = namedPorts(spec.ports);
        const samePorts = JSON.stringify(p.ports) === JSON.stringify(wantPorts);
        if (samePorts && JSON.stringify(sorted(p.labels)) === JSON.stringify(sorted(want))) continue;
        p.labels = { ...want };
        p.ports = wantPorts;
        revision = (
          await api.must("PUT", `/v1/namespaces/${p.namespace}/endpoints/${p.name}`, endpointBody(p))
        ).revision;
      }
      if (revision > 0) await waitAll(revision);
    },
    async setPodLabels(key, labels) {
      const p = cluster.pod(key);
      p.labels = { ...labels };
      const r = await api.must("PUT", `/v1/namespaces/${p.namespace}/endpoints/${p.name}`, endpointBody(p));
      await waitAll(r.revision);
      return r.revision;
    },
    async setPodPorts(key, ports) {
      const p = cluster.pod(key);
      p.ports = ports;
      const r = await api.must("PUT", `/v1/namespaces/${p.namespace}/endpoints/${p.name}`, endpointBody(p));
      await waitAll(r.revision);
      return r.revision;
    },
    async setNamespaceLabels(namespace, labels) {
      const r = await api.must("PUT", `/v1/namespaces/${namespace}`, { labels });
      await waitAll(r.revision);
      return r.revision;
    },
    async startAgent(node) {
      const enrolled = (await api.call("GET", `/v1/nodes/${node}`)).status === 200;
      const token = enrolled
        ? undefined
        : ((await api.must("POST", "/v1/enrollment-tokens", { maxUses: 1, description: `e2e ${node}` }))
            .token as string);
      const agent = startPalisade([
        "agent",
        "--server",
        url,
        "--node",
        node,
        ...(token ? ["--enroll-token", token] : []),
        "--state-dir",
        join(dir, "agents", node),
        "--bpffs",
        join(bpffsRoot, node),
        // Port 0: the agent binds a free one and logs it (a port picked here first could be taken).
        "--metrics-listen",
        "127.0.0.1:0",
        "--datapath",
        "bpf",
      ]);
      agents.set(node, agent);
      const bound = await agent.waitFor((l) => l.msg === "metrics listening");
      metricsTargets.set(node, new URL(String(bound.url)).host);
      await cluster.waitConnected(node);
      return agent;
    },
    async stopAgent(node, signal = "SIGTERM") {
      const code = await agents.get(node)?.stop(signal);
      agents.delete(node);
      return code ?? null;
    },
    async startServer() {
      server = startPalisade(
        ["server", "--listen", `127.0.0.1:${port}`, "--db", join(dir, "db", "palisade.db")],
        { PALISADE_ADMIN_TOKEN: ADMIN },
      );
      await server.waitFor((l) => l.msg === "control plane listening");
    },
    async stopServer() {
      const code = (await server?.stop()) ?? null;
      server = undefined;
      return code;
    },
    async waitConnected(node, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = await api.call("GET", `/v1/nodes/${node}`).catch(() => undefined);
        if (r?.status === 200 && r.body.connected === true) return;
        const agent = agents.get(node);
        if (agent && agent.child.exitCode !== null)
          throw new Error(`agent ${node} exited ${agent.child.exitCode}: ${agent.stderr()}`);
        if (Date.now() > deadline)
          throw new Error(`agent ${node} did not connect: ${JSON.stringify(r?.body)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async teardown() {
      try {
        await Promise.all([...agents.keys()].map((n) => cluster.stopAgent(n)));
        await cluster.stopServer();
      } finally {
        topo.teardown();
        releaseDirs();
      }
    },
  };

  try {
    await cluster.startServer();
    for (const node of spec.nodes) await cluster.startAgent(node);
    let revision = 0;
    for (const [ns, labels] of Object.entries(spec.namespaces))
      revision = (await api.must("PUT", `/v1/namespaces/${ns}`, { labels })).revision;
    for (const p of pods)
      revision = (await api.must("PUT", `/v1/namespaces/${p.namespace}/endpoints/${p.name}`, endpointBody(p)))
        .revision;
    await waitAll(revision);
  } catch (e) {
    await cluster.teardown();
    throw e;
  }
  return cluster;
}

function sorted(labels: Record<string, string> | undefined): [string, string][] {
  return Object.entries(labels ?? {}).sort(([a], [b]) => a.localeCompare(b));
}
