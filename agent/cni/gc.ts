// Owns collecting CNI endpoints whose pod went away without a DEL (a runtime crash, kill -9): on a
// period, every endpoint this node manages through CNI is checked against its interface, its
// network namespace and its runtime; one that is gone is deleted. At start it also re-adopts:
// endpoints still waiting for labels get a resolver again.
import type { Log } from "../../lib/log.ts";
import type { EndpointsApi, StoredEndpoint } from "./endpoints-client.ts";
import type { LabelResolver, RuntimeAdapter } from "./labels.ts";
import type { RuntimeKind } from "./pod-ref.ts";

export interface CollectorOptions {
  node: string;
  api: EndpointsApi;
  runtimes: Partial<Record<RuntimeKind, RuntimeAdapter>>;
  resolver: LabelResolver;
  /** Containers with an ADD or DEL under way. */
  busy: ReadonlySet<string>;
  interfaceExists: (name: string) => boolean;
  pathExists: (path: string) => boolean;
  log: Log;
}

/** Why an endpoint's pod is gone, or null while it is alive (or cannot be told). */
async function goneReason(ep: StoredEndpoint, o: CollectorOptions): Promise<string | null> {
  if (!o.interfaceExists(ep.interface)) return `interface ${ep.interface} is gone`;
  if (ep.workload.netns !== "" && !o.pathExists(ep.workload.netns))
    return `netns ${ep.workload.netns} is gone`;
  const adapter = o.runtimes[ep.workload.runtime as RuntimeKind];
  // A pod still waiting for labels may not be known to its runtime yet (CRI answers after ADD).
  if (!adapter || ep.labelsPending) return null;
  const d = await adapter.describe(ep.workload.containerId).catch(() => null);
  return d?.state === "gone"
    ? `the ${ep.workload.runtime} runtime says container ${ep.workload.containerId.slice(0, 12)} is gone`
    : null;
}

/** One pass: deletes what is gone, re-tracks what waits for labels; returns the endpoints deleted. */
export async function collectOnce(o: CollectorOptions): Promise<string[]> {
  const deleted: string[] = [];
  const own = (await o.api.listOwn()).filter((e) => e.managedBy === `node/${o.node}` && e.workload);
  for (const ep of own) {
    if (o.busy.has(ep.workload.containerId)) continue;
    const reason = await goneReason(ep, o);
    if (reason) {
      // Only while it is still this container's: an ADD may have given the name to a new one.
      if (!(await o.api.delete(ep.namespace, ep.name, ep.workload.containerId))) continue;
      deleted.push(`${ep.namespace}/${ep.name}`);
      o.log({ level: "info", msg: "cni endpoint collected", namespace: ep.namespace, name: ep.name, reason });
    } else if (ep.labelsPending) {
      o.resolver.track(
        { runtime: ep.workload.runtime as RuntimeKind, namespace: ep.namespace, name: ep.name },
        ep,
      );
    }
  }
  return deleted;
}

/** Runs `collectOnce` now and every `everyMs`; returns stop. */
export function startCollector(o: CollectorOptions, everyMs: number): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const pass = async () => {
    try {
      await collectOnce(o);
    } catch (e) {
      o.log({
        level: "warn",
        msg: "cni collection failed",
        error: e instanceof Error ? e.message : String(e),
      });
    }
    if (!stopped) timer = setTimeout(pass, everyMs);
  };
  void pass();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
