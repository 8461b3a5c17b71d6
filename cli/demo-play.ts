// Owns the demo's scenario on a reachable control plane: three pods, a policy, one connection
// allowed and one dropped, and the drop read back from the agent's metrics.
import { createTopology, type Pod, type Topology } from "../lib/netns/topology.ts";
import type { ApiClient } from "./client.ts";

const PORT = 80;
const DROP_LINE = /^palisade_agent_packets_total\{([^}]*)\} (\d+)$/gm;

export interface Target {
  client: ApiClient;
  metricsUrl: string;
}

/** Sum of the agent's policy drops, both directions (`reason="DROP_POLICY_DENIED"`). */
export function policyDrops(metrics: string): number {
  let total = 0;
  for (const m of metrics.matchAll(DROP_LINE)) {
    const labels = m[1]!;
    if (labels.includes('verdict="drop"') && labels.includes('reason="DROP_POLICY_DENIED"'))
      total += Number(m[2]);
  }
  return total;
}

async function readDrops(metricsUrl: string): Promise<{ total: number; lines: string[] }> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  const lines = text
    .split("\n")
    .filter((l) => l.startsWith("palisade_agent_packets_total{") && l.includes('verdict="drop"'));
  return { total: policyDrops(text), lines };
}

async function syncWait(client: ApiClient, revision: number, node: string): Promise<void> {
  await client.request(
    "GET",
    `/v1/sync/wait?revision=${revision}&timeoutSeconds=15&node=${encodeURIComponent(node)}`,
  );
}

/** One TCP connect from inside `from` to `to`:PORT; true when the pod server greeted. */
async function connects(from: Pod, to: Pod, timeoutMs: number): Promise<boolean> {
  return (await from.prober.probe("tcp", to.ip, PORT, timeoutMs)).ok;
}

/** Pods, policy, the two connections and the counter; true when all show what they should. */
export async function play(
  target: Target,
  node: string,
  prefix: string,
  cleanups: { what: string; run: () => Promise<unknown> | unknown }[],
  checkpoint: () => void,
  say: (line: string) => void,
): Promise<boolean> {
  const { client } = target;
  const ns = `demo-${prefix}`;
  let pods: Topology | undefined;
  cleanups.push({ what: "the pods", run: () => pods?.teardown() });
  pods = await createTopology({ prefix, pods: ["frontend", "backend", "other"], serve: { tcp: [PORT] } });
  checkpoint();
  const [frontend, backend, other] = pods.pods as [Pod, Pod, Pod];
  cleanups.push({
    what: `namespace ${ns}`,
    run: () => client.request("DELETE", `/v1/namespaces/${ns}`).catch(() => undefined),
  });
  await client.request("PUT", `/v1/namespaces/${ns}`, { json: { labels: { demo: "palisade" } } });
  let revision = 0;
  for (const pod of pods.pods) {
    const answer = (await client.request("PUT", `/v1/namespaces/${ns}/endpoints/${pod.name}`, {
      json: {
        labels: { app: pod.name },
        node,
        interface: pod.hostIf,
        ips: [pod.ip],
        ports: [{ name: "http", port: PORT, protocol: "TCP" }],
      },
    })) as { revision: number };
    revision = answer.revision;
    say(`pod ${ns}/${pod.name}: ${pod.ip} in network namespace ${pod.netns}, interface ${pod.hostIf}`);
  }
  await syncWait(client, revision, node);
  checkpoint();
  const policy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "backend-ingress", namespace: ns },
    spec: {
      podSelector: { matchLabels: { app: "backend" } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: "frontend" } } }], ports: [{ port: "http" }] }],
    },
  };
  const put = (await client.request("PUT", `/v1/namespaces/${ns}/networkpolicies/backend-ingress`, {
    json: policy,
  })) as { revision: number };
  await syncWait(client, put.revision, node);
  say(`policy ${ns}/backend-ingress: backend accepts TCP ${PORT} (port "http") from app=frontend only`);
  checkpoint();
  const before = await readDrops(target.metricsUrl);
  const [allowed, passed] = await Promise.all([
    connects(frontend, backend, 3000),
    connects(other, backend, 1000),
  ]);
  say(
    `  frontend -> backend:${PORT}  ${allowed ? "connected (allowed by the policy)" : "FAILED to connect"}`,
  );
  say(
    `  other    -> backend:${PORT}  ${passed ? "CONNECTED (should be dropped)" : "dropped (no answer within 1 s)"}`,
  );
  checkpoint();
  const after = await readDrops(target.metricsUrl);
  const counted = after.total - before.total;
  say(
    `agent metrics (${target.metricsUrl}/metrics), policy drops ${counted > 0 ? `+${counted}` : "unchanged"}:`,
  );
  for (const line of after.lines) say(`  ${line}`);
  return allowed && !passed && counted > 0;
}
