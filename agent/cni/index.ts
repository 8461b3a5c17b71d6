// Owns starting the agent's CNI side: the socket the plugin talks to, the service behind it, the
// label resolver and the collector of pods that went away.
import { existsSync } from "node:fs";
import type { Log } from "../../lib/log.ts";
import { endpointsClient } from "./endpoints-client.ts";
import { startCollector } from "./gc.ts";
import { LabelResolver, type RuntimeAdapter } from "./labels.ts";
import type { RuntimeKind } from "./pod-ref.ts";
import { criAdapter } from "./runtimes/cri.ts";
import { podmanAdapter } from "./runtimes/podman.ts";
import { CniService, type Enforcement } from "./service.ts";
import { socketInUse, startCniSocket } from "./socket-server.ts";

export interface CniOptions {
  socket: string;
  /** When another live agent holds the socket: run without CNI (warned) instead of failing. */
  optional?: boolean;
  /** The podman command the agent inspects containers with (default `podman`). */
  podman?: string;
  /** The CRI runtime's socket (default containerd's, /run/containerd/containerd.sock). */
  criSocket?: string;
  /** Extra or replacement runtime adapters (tests). */
  runtimes?: Partial<Record<RuntimeKind, RuntimeAdapter>>;
  /** How often pods that went away are looked for (default 10 s). */
  collectEveryMs?: number;
  enforceTimeoutMs?: number;
  /** What the host holds (default: /sys/class/net and the file system); tests swap it. */
  host?: Partial<HostView>;
}

export interface HostView {
  isBridge(name: string): boolean;
  interfaceExists(name: string): boolean;
  pathExists(path: string): boolean;
}

const realHost: HostView = {
  isBridge: (name) => existsSync(`/sys/class/net/${name}/bridge`),
  interfaceExists: (name) => existsSync(`/sys/class/net/${name}`),
  pathExists: existsSync,
};

export interface CniDeps {
  server: string;
  node: string;
  credential: () => string;
  enforcement: Enforcement;
  log: Log;
}

export async function startCni(o: CniOptions, d: CniDeps): Promise<{ close(): Promise<void> }> {
  const log: Log = (line) => d.log({ component: "cni", ...line });
  if (await socketInUse(o.socket)) {
    const message = `another process serves the CNI socket ${o.socket}`;
    if (!o.optional) throw new Error(`${message}; stop it or pass another --cni-socket`);
    log({ level: "warn", msg: `${message}; this agent does not serve CNI (pass --cni-socket)` });
    return { close: async () => {} };
  }
  const host = { ...realHost, ...o.host };
  const api = endpointsClient({ server: d.server, node: d.node, credential: d.credential });
  const cri = criAdapter(o.criSocket);
  const runtimes = { podman: podmanAdapter(o.podman), cri, ...o.runtimes };
  const resolver = new LabelResolver({ api, runtimes, log });
  const service = new CniService({
    node: d.node,
    api,
    enforcement: d.enforcement,
    isBridge: host.isBridge,
    onAdded: (ref, endpoint) => resolver.track(ref, endpoint),
    onDeleting: (containerId) => resolver.cancel(containerId),
    log,
    ...(o.enforceTimeoutMs ? { enforceTimeoutMs: o.enforceTimeoutMs } : {}),
  });
  const socket = await startCniSocket(o.socket, (req) => service.handle(req), log);
  const stopCollector = startCollector(
    {
      node: d.node,
      api,
      runtimes,
      resolver,
      busy: service.busy,
      interfaceExists: host.interfaceExists,
      pathExists: host.pathExists,
      log,
    },
    o.collectEveryMs ?? 10_000,
  );
  return {
    async close() {
      stopCollector();
      resolver.stop();
      cri.close();
      await socket.close();
    },
  };
}
