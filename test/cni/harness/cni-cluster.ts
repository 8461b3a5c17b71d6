// Owns the conformance layout (namespaces x, y, z; pods a, b, c in each) built from real runtime
// pods with Palisade chained as their CNI plugin: every endpoint comes from the plugin (no REST
// call per pod), its labels from the runtime, its named ports from the palisade.dev/ports
// annotation (CRI) or label (podman). It answers the e2e conformance cases' Cluster operations; a
// pod's labels or ports changed by a case are written as an operator would, with ?force=true.
import { Children } from "../../../lib/netns/children.ts";
import { Prober } from "../../../lib/netns/prober.ts";
import { POD_SERVER } from "../../../lib/netns/topology.ts";
import type { Body } from "../../e2e/harness/api.ts";
import {
  type Cluster,
  type ClusterPod,
  type ClusterTopology,
  type NamedPort,
  namedPorts,
} from "../../e2e/harness/cluster.ts";
import type { Containerd } from "./containerd.ts";
import { eventually } from "./eventually.ts";
import type { Podman } from "./podman.ts";
import type { CniStack } from "./stack.ts";

export type Runtime = { kind: "containerd"; ctd: Containerd } | { kind: "podman"; podman: Podman };

const NAMESPACES = ["x", "y", "z"];
const POD_NAMES = ["a", "b", "c"];

interface Placed {
  pod: ClusterPod;
  /** The endpoint's name (podman: the container's). */
  endpoint: string;
}

export async function startCniCluster(stack: CniStack, runtime: Runtime, ports: number[]): Promise<Cluster> {
  const { api } = stack;
  const children = new Children();
  const placed: Placed[] = [];
  const wantPorts = namedPorts(ports);
  for (const ns of NAMESPACES) await api.must("PUT", `/v1/namespaces/${ns}`, { labels: { ns } });

  const listen = ports.flatMap((p) => [`tcp:${p}`, `udp:${p}`]);
  const startPod = async (namespace: string, name: string) => {
    const labels = { pod: name };
    const portsJson = JSON.stringify(wantPorts);
    let started: { ip: string; netns: string; endpoint: string };
    if (runtime.kind === "containerd") {
      const p = await runtime.ctd.cri.runPod({
        namespace,
        name,
        labels,
        annotations: { "palisade.dev/ports": portsJson },
      });
      started = { ip: p.ip, netns: p.netns, endpoint: name };
    } else {
      const container = `${stack.node}-${namespace}-${name}`;
      const c = await runtime.podman.run({
        name: container,
        network: stack.net.name,
        labels: { ...labels, "palisade.dev/namespace": namespace, "palisade.dev/ports": portsJson },
      });
      started = { ip: c.ip, netns: c.netns, endpoint: container };
    }
    const [, probe] = await Promise.all([
      children.start(started.netns, POD_SERVER, listen, `the pod server in ${namespace}/${name}`),
      children.start(started.netns, Prober.script, [], `the prober in ${namespace}/${name}`),
    ]);
    const pod: ClusterPod = {
      namespace,
      name,
      key: `${namespace}/${name}`,
      netns: started.netns,
      hostIf: "",
      ip: started.ip,
      prober: new Prober(probe),
      labels: { ...labels },
      ports: wantPorts,
      node: stack.node,
    };
    placed.push({ pod, endpoint: started.endpoint });
  };
  try {
    for (const ns of NAMESPACES) for (const name of POD_NAMES) await startPod(ns, name);
    // Labels and ports arrive from the runtime after each ADD.
    await eventually(
      "every pod's labels",
      async () => {
        const eps = await stack.endpoints();
        return eps.length === placed.length && eps.every((e) => !e.labelsPending) ? true : undefined;
      },
      20_000,
    );
    await api.syncWait(await api.revision());
  } catch (e) {
    children.killAll();
    throw e;
  }

  const byKey = (key: string) => {
    const p = placed.find((q) => q.pod.key === key);
    if (!p) throw new Error(`no pod ${key}`);
    return p;
  };
  /** Rewrites a CNI endpoint as an operator would: the agent's record, taken over with force. */
  const rewrite = async (key: string, change: (ep: Body) => Body) => {
    const { pod, endpoint } = byKey(key);
    const path = `/v1/namespaces/${pod.namespace}/endpoints/${endpoint}`;
    const { labels, node, interface: iface, ips, ports: p, workload } = await api.must("GET", path);
    const r = await api.must(
      "PUT",
      `${path}?force=true`,
      change({ labels, node, interface: iface, ips, ports: p, workload }),
    );
    await api.syncWait(r.revision);
    return r.revision as number;
  };
  const unsupported = (what: string) => async () => {
    throw new Error(`${what} is not supported on the CNI cluster`);
  };

  const cluster: Cluster = {
    api,
    // The cases read the pods' subnet (ipBlock rules); a host prober needs the netns harness.
    topo: {
      subnet: stack.net.subnet,
      get hostProber(): never {
        throw new Error("the CNI cluster has no host prober");
      },
    } as unknown as ClusterTopology,
    pods: placed.map((p) => p.pod),
    pod: (key) => byKey(key).pod,
    server: stack.server,
    agents: new Map([[stack.node, stack.agent()]]),
    metricsTargets: new Map([[stack.node, new URL(stack.metricsUrl).host]]),
    async applyPolicy(namespace, policy) {
      const name = (policy.metadata as { name: string }).name;
      const r = await api.must("PUT", `/v1/namespaces/${namespace}/networkpolicies/${name}`, policy);
      await api.syncWait(r.revision);
      return r.revision;
    },
    async deletePolicy(namespace, name) {
      const r = await api.must("DELETE", `/v1/namespaces/${namespace}/networkpolicies/${name}`);
      await api.syncWait(r.revision);
      return r.revision;
    },
    async applyClusterPolicy(policy) {
      const name = (policy.metadata as { name: string }).name;
      const r = await api.must("PUT", `/v1/clusternetworkpolicies/${name}`, policy);
      await api.syncWait(r.revision);
      return r.revision;
    },
    async deleteClusterPolicy(name) {
      const r = await api.must("DELETE", `/v1/clusternetworkpolicies/${name}`);
      await api.syncWait(r.revision);
      return r.revision;
    },
    async reset() {
      for (const ns of NAMESPACES) {
        const list = await api.must("GET", `/v1/namespaces/${ns}/networkpolicies`);
        for (const item of list.items as { metadata: { name: string } }[]) {
          await cluster.deletePolicy(ns, item.metadata.name);
        }
        await cluster.setNamespaceLabels(ns, { ns });
      }
      for (const { pod } of placed) {
        const same = JSON.stringify(pod.labels) === JSON.stringify({ pod: pod.name });
        if (same && JSON.stringify(pod.ports) === JSON.stringify(wantPorts)) continue;
        pod.labels = { pod: pod.name };
        pod.ports = wantPorts;
        await rewrite(pod.key, (ep) => ({ ...ep, labels: pod.labels, ports: wantPorts }));
      }
    },
    async setPodLabels(key, labels) {
      byKey(key).pod.labels = { ...labels };
      return rewrite(key, (ep) => ({ ...ep, labels }));
    },
    async setPodPorts(key, p: NamedPort[]) {
      byKey(key).pod.ports = p;
      return rewrite(key, (ep) => ({ ...ep, ports: p }));
    },
    async setNamespaceLabels(namespace, labels) {
      const r = await api.must("PUT", `/v1/namespaces/${namespace}`, { labels });
      await api.syncWait(r.revision);
      return r.revision;
    },
    startAgent: unsupported("startAgent"),
    stopAgent: unsupported("stopAgent"),
    startServer: unsupported("startServer"),
    stopServer: unsupported("stopServer"),
    waitConnected: unsupported("waitConnected"),
    async teardown() {
      children.killAll();
    },
  };
  return cluster;
}
