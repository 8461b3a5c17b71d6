// Owns the control plane's side of the name catalog agents use to tell flows in words
// (wire/flow-names.ts): the catalog at the current revision, and after each commit what that
// commit changed in it, found from the commit's writes (O(change); a namespace write revisits that
// namespace's endpoints, whose identities its labels feed).
import {
  type EndpointName,
  endpointNameKey,
  type NameCatalog,
  type NameMaps,
  type NamesDelta,
  type PolicyName,
  policyNameKey,
} from "../../wire/flow-names.ts";
import { clusterPolicyKey } from "../policy/compiler/cluster-policies.ts";
import type { PolicyEngine } from "../policy/compiler/engine.ts";
import type { EndpointRec, PolicyRec } from "../policy/compiler/types.ts";
import type { WriteSummary } from "../store/store.ts";

const NETWORK_POLICY = "NetworkPolicy";
const CLUSTER_NETWORK_POLICY = "ClusterNetworkPolicy";

function policyName(rec: PolicyRec): PolicyName {
  if (rec.cluster) return { id: rec.id, kind: CLUSTER_NETWORK_POLICY, namespace: "", name: rec.cluster.name };
  return { id: rec.id, kind: NETWORK_POLICY, namespace: rec.policy.namespace, name: rec.policy.name };
}

function endpointName(rec: EndpointRec): EndpointName {
  const e = rec.endpoint;
  return {
    endpointId: rec.id,
    namespace: e.namespace,
    name: e.name,
    node: e.node,
    identity: rec.identity,
    labels: e.labels,
    addresses: e.ips,
  };
}

/** The whole catalog of an engine's current state. */
export function catalogOf(engine: PolicyEngine): NameCatalog {
  return {
    policies: [...engine.policies.values()].map(policyName),
    endpoints: [...engine.endpoints.values()].map(endpointName),
  };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The catalog kept in step with the store, commit by commit. */
export class NameTracker {
  #maps: NameMaps | undefined;

  constructor(private readonly engine: () => PolicyEngine) {}

  /** The whole catalog now. */
  catalog(): NameCatalog {
    const m = this.#current();
    return { policies: [...m.policies.values()], endpoints: [...m.endpoints.values()] };
  }

  /** What one commit changed; call once per commit, in order. Undefined when nothing did. */
  onCommit(written: readonly WriteSummary[]): NamesDelta | undefined {
    if (!this.#maps) return undefined; // built from the engine, current, on first use
    const engine = this.engine();
    const m = this.#maps;
    const d = {
      policies: {
        upsert: [] as PolicyName[],
        remove: [] as { kind: string; namespace: string; name: string }[],
      },
      endpoints: { upsert: [] as EndpointName[], remove: [] as { namespace: string; name: string }[] },
    };
    const endpointKeys = new Set<string>();
    for (const w of written) {
      const key = `${w.namespace ?? ""}/${w.name}`;
      if (w.kind === "policy" || w.kind === "clusterpolicy") {
        const cluster = w.kind === "clusterpolicy";
        const rec = engine.policies.get(cluster ? clusterPolicyKey(w.name) : key);
        const kind = cluster ? CLUSTER_NETWORK_POLICY : NETWORK_POLICY;
        const mapKey = policyNameKey({ kind, namespace: cluster ? "" : (w.namespace ?? ""), name: w.name });
        const had = m.policies.get(mapKey);
        if (rec) {
          const now = policyName(rec);
          if (!had || !same(had, now)) {
            m.policies.set(mapKey, now);
            d.policies.upsert.push(now);
          }
        } else if (had) {
          m.policies.delete(mapKey);
          d.policies.remove.push({ kind: had.kind, namespace: had.namespace, name: had.name });
        }
      } else if (w.kind === "endpoint") {
        endpointKeys.add(key);
      } else if (w.kind === "namespace") {
        // A deleted namespace takes its policies with it (whether or not the writes list them).
        for (const p of [...m.policies.values()]) {
          if (p.kind !== NETWORK_POLICY || p.namespace !== w.name) continue;
          if (engine.policies.has(`${p.namespace}/${p.name}`)) continue;
          m.policies.delete(policyNameKey(p));
          d.policies.remove.push({ kind: p.kind, namespace: p.namespace, name: p.name });
        }
        for (const e of m.endpoints.values())
          if (e.namespace === w.name) endpointKeys.add(endpointNameKey(e));
        for (const r of engine.endpoints.values())
          if (r.endpoint.namespace === w.name) endpointKeys.add(endpointNameKey(r.endpoint));
      }
    }
    for (const key of endpointKeys) {
      const rec = engine.endpoints.get(key);
      const had = m.endpoints.get(key);
      if (rec) {
        const now = endpointName(rec);
        if (!had || !same(had, now)) {
          m.endpoints.set(key, now);
          d.endpoints.upsert.push(now);
        }
      } else if (had) {
        m.endpoints.delete(key);
        d.endpoints.remove.push({ namespace: had.namespace, name: had.name });
      }
    }
    const empty =
      d.policies.upsert.length +
        d.policies.remove.length +
        d.endpoints.upsert.length +
        d.endpoints.remove.length ===
      0;
    return empty ? undefined : d;
  }

  #current(): NameMaps {
    if (!this.#maps) {
      const c = catalogOf(this.engine());
      this.#maps = {
        policies: new Map(c.policies.map((p) => [policyNameKey(p), p])),
        endpoints: new Map(c.endpoints.map((e) => [endpointNameKey(e), e])),
      };
    }
    return this.#maps;
  }
}
