// Owns finding who a CNI pod is after its ADD: asks the pod's runtime for its labels (and, for
// podman, the namespace label) until it answers, then writes them, which lifts the deny-all.
// CRI runtimes know the sandbox only once RunPodSandbox returns, and podman locks the container
// during network setup, so this cannot happen inside ADD: the pod is deny-all for that window
// (typically 0.1-1 s; the polls below bound it).
import type { Log } from "../../lib/log.ts";
import type { EndpointsApi, StoredEndpoint } from "./endpoints-client.ts";
import type { PodRef, RuntimeKind } from "./pod-ref.ts";
import { PORTS_KEY, portsOf } from "./ports.ts";

/** What a runtime says about a container: its labels, or that it is gone; null: cannot tell yet. */
export type Description =
  | {
      state: "running";
      labels: Record<string, string>;
      namespace?: string;
      /** CRI pods' annotations (where `palisade.dev/ports` may be). */
      annotations?: Record<string, string>;
    }
  | { state: "gone" }
  | null;

export interface RuntimeAdapter {
  describe(containerId: string): Promise<Description>;
}

export const NAMESPACE_LABEL = "palisade.dev/namespace";

/** Poll delays: quick at first (the runtime answers right after ADD), then slower, for a minute. */
export const LABEL_POLL_MS = [...Array(20).fill(100), ...Array(58).fill(1000)] as number[];

export interface LabelResolverOptions {
  api: EndpointsApi;
  runtimes: Partial<Record<RuntimeKind, RuntimeAdapter>>;
  log: Log;
  pollMs?: number[];
  sleep?: (ms: number) => Promise<void>;
}

export class LabelResolver {
  readonly #o: LabelResolverOptions;
  readonly #running = new Set<string>();
  /** Containers whose DEL started while their labels were being resolved: never written again. */
  readonly #deleted = new Set<string>();
  #stopped = false;

  constructor(o: LabelResolverOptions) {
    this.#o = o;
  }

  /** Starts resolving an endpoint created with labelsPending (once per container). */
  track(ref: PodRef, endpoint: StoredEndpoint): void {
    const id = endpoint.workload.containerId;
    if (this.#running.has(id) || this.#stopped) return;
    this.#running.add(id);
    this.#resolve(ref.runtime, endpoint)
      .catch((e) =>
        this.#o.log({ level: "warn", msg: "cni labels not written", containerId: id, error: String(e) }),
      )
      .finally(() => {
        this.#running.delete(id);
        this.#deleted.delete(id);
      });
  }

  /** A DEL started for the container: a resolution under way must not write it back. */
  cancel(containerId: string): void {
    if (this.#running.has(containerId)) this.#deleted.add(containerId);
  }

  stop(): void {
    this.#stopped = true;
  }

  async #resolve(runtime: RuntimeKind, ep: StoredEndpoint): Promise<void> {
    const adapter = this.#o.runtimes[runtime];
    const id = ep.workload.containerId;
    if (!adapter) {
      this.#o.log({
        level: "warn",
        msg: "no runtime adapter: the pod stays deny-all",
        runtime,
        containerId: id,
      });
      return;
    }
    const sleep = this.#o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    for (const delay of this.#o.pollMs ?? LABEL_POLL_MS) {
      if (this.#stopped || this.#deleted.has(id)) return;
      const d = await adapter.describe(id).catch(() => null);
      if (d?.state === "gone" || this.#deleted.has(id)) return;
      if (d?.state === "running") {
        const { [NAMESPACE_LABEL]: nsLabel, [PORTS_KEY]: _ports, ...labels } = d.labels;
        const namespace = d.namespace ?? nsLabel ?? ep.namespace;
        const moved = namespace !== ep.namespace;
        const warn = (error: string) =>
          this.#o.log({ level: "warn", msg: "cni ports ignored", containerId: id, error });
        const ports = portsOf(d.annotations, warn) ?? portsOf(d.labels, warn) ?? ep.ports;
        const body = {
          labels,
          node: ep.node,
          interface: ep.interface,
          ips: ep.ips,
          workload: ep.workload,
          ...(ports ? { ports } : {}),
        };
        const { revision } = await this.#o.api.put(
          namespace,
          ep.name,
          body,
          moved ? `${ep.namespace}/${ep.name}` : undefined,
        );
        this.#o.log({
          level: "info",
          msg: "cni labels written",
          containerId: id.slice(0, 12),
          namespace,
          name: ep.name,
          revision,
        });
        return;
      }
      await sleep(delay);
    }
    this.#o.log({ level: "warn", msg: "cni labels never resolved: the pod stays deny-all", containerId: id });
  }
}
