// Owns the benchmark's calls to the control plane over HTTP (127.0.0.1 only): seeding one endpoint
// per simulated node, the timed policy write followed by /v1/sync/wait, and /metrics readings.
import { gaugeValue, type HistogramReading, histogramReading } from "./prometheus.ts";

const NAMESPACE = "bench";
const FANOUT = "palisade_sync_fanout_seconds";
const SEND = "palisade_sync_fanout_send_seconds";
/** The control plane's RSS and CPU (prom-client default metrics under the "palisade_" prefix). */
const RSS_NAMES = ["palisade_process_resident_memory_bytes"];

const CPU_NAMES = ["palisade_process_cpu_seconds_total"];

function firstGauge(text: string, names: string[]): number {
  for (const name of names) {
    try {
      return gaugeValue(text, name);
    } catch {}
  }
  throw new Error(`none of ${names.join(", ")} is in the /metrics answer`);
}

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
type Answer = { status: number; body: any };

export interface WriteTiming {
  revision: number;
  /** Request sent to response received, in ms. */
  writeMs: number;
  /** Write response received to GET /v1/sync/wait answering 200 (every connected agent acked), in ms. */
  ackAllMs: number;
}

export interface Scrape {
  connected: number;
  snapshots: number;
  fanout: HistogramReading;
  /** The hub's time to send each revision to every stream. */
  send: HistogramReading;
  rssBytes: number;
  heapUsedBytes: number;
  /** Memory outside the V8 heap (Buffers, e.g. socket and WebSocket frames). */
  externalBytes: number;
  cpuSeconds: number;
}

export type MemoryReading = Pick<Scrape, "rssBytes" | "heapUsedBytes" | "externalBytes">;

export interface PlaneClient {
  seed(nodes: string[]): Promise<void>;
  timedWrite(): Promise<WriteTiming>;
  enrollmentToken(maxUses: number): Promise<string>;
  /** True when every connected agent applied the store's current revision. */
  allApplied(): Promise<boolean>;
  scrape(): Promise<Scrape>;
  memory(): Promise<MemoryReading>;
}

/** A policy that selects every node's endpoint; each write moves it to the next port. */
const webPolicy = (port: number) => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "web" },
  spec: {
    podSelector: { matchLabels: { app: "web" } },
    ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ port }] }],
  },
});

export function planeClient(url: string, adminToken: string): PlaneClient {
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url))
    throw new Error(`the benchmark talks to 127.0.0.1 only, got control plane URL ${url}`);
  const call = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      return { status: res.status, body: text };
    }
  };
  const ok = async (method: string, path: string, body?: unknown) => {
    const res = await call(method, path, body);
    if (res.status >= 300)
      throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  let port = 8000;
  return {
    async seed(nodes) {
      await ok("PUT", `/v1/namespaces/${NAMESPACE}`, { labels: {} });
      for (const [i, node] of nodes.entries()) {
        await ok("PUT", `/v1/namespaces/${NAMESPACE}/endpoints/ep-${i}`, {
          labels: { app: "web" },
          node,
          interface: "veth0",
          ips: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
          ports: [],
        });
      }
      await ok("PUT", `/v1/namespaces/${NAMESPACE}/networkpolicies/web`, webPolicy(port));
    },
    async timedWrite() {
      const started = performance.now();
      const written = await ok("PUT", `/v1/namespaces/${NAMESPACE}/networkpolicies/web`, webPolicy(++port));
      const responded = performance.now();
      await ok("GET", `/v1/sync/wait?revision=${written.revision}&timeoutSeconds=30`);
      return {
        revision: written.revision,
        writeMs: responded - started,
        ackAllMs: performance.now() - responded,
      };
    },
    async enrollmentToken(maxUses) {
      return (await ok("POST", "/v1/enrollment-tokens", { maxUses, description: "fan-out benchmark" })).token;
    },
    async allApplied() {
      const { revision } = await ok("GET", "/v1/revision");
      return (await call("GET", `/v1/sync/wait?revision=${revision}&timeoutSeconds=0`)).status === 200;
    },
    async scrape() {
      const res = await call("GET", "/metrics");
      const text = String(res.body);
      return {
        connected: gaugeValue(text, "palisade_agents_connected"),
        snapshots: gaugeValue(text, "palisade_sync_snapshots_sent_total"),
        fanout: histogramReading(text, FANOUT),
        send: histogramReading(text, SEND),
        rssBytes: firstGauge(text, RSS_NAMES),
        heapUsedBytes: gaugeValue(text, "palisade_nodejs_heap_size_used_bytes"),
        externalBytes: gaugeValue(text, "palisade_nodejs_external_memory_bytes"),
        cpuSeconds: firstGauge(text, CPU_NAMES),
      };
    },
    async memory() {
      const { rssBytes, heapUsedBytes, externalBytes } = await this.scrape();
      return { rssBytes, heapUsedBytes, externalBytes };
    },
  };
}
