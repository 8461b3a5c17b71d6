// Owns the compiler's copy of the stored objects: namespaces, endpoints and compiled policies,
// indexed by namespace, address, interface and token, with the conflicts a write must not create.
import { hostPrefix } from "../../../wire/cidr.ts";
import type { Endpoint, Namespace } from "../model.ts";
import { labelsKey } from "../selectors.ts";
import { EngineError } from "./errors.ts";
import { inNamespaceMap, NAMESPACE_MAP_RANGE } from "./ipcache.ts";
import { JournaledMap, setField } from "./journal.ts";
import { addTo, removeFrom } from "./keyed-sets.ts";
import type { EndpointRec, PolicyRec } from "./types.ts";
import type { Work } from "./work.ts";

export class ObjectIndex {
  readonly namespaces = new JournaledMap<string, Namespace>();
  readonly endpoints = new JournaledMap<string, EndpointRec>();
  readonly policies = new JournaledMap<string, PolicyRec>();
  private readonly endpointsByNs = new JournaledMap<string, Set<string>>();
  /** Host prefix of each endpoint address -> the endpoint's key. */
  private readonly ipOwners = new JournaledMap<string, string>();
  private readonly ifaceOwners = new JournaledMap<string, string>();
  private readonly policiesByNs = new JournaledMap<string, Set<string>>();
  private readonly policyByToken = new JournaledMap<string, PolicyRec>();
  /** Not journaled: a rolled-back token is simply never used again (tokens need only be unique). */
  private tokenCounter = 0;

  /** Every endpoint address, as host prefix -> endpoint key. */
  get addressOwners(): ReadonlyMap<string, string> {
    return this.ipOwners;
  }

  /** The endpoint that owns an address given as its host prefix. */
  ownerOf(cidr: string): EndpointRec | undefined {
    const key = this.ipOwners.get(cidr);
    return key === undefined ? undefined : this.endpoints.get(key);
  }

  /** The endpoint that owns an interface on a node. */
  endpointAt(node: string, iface: string): EndpointRec | undefined {
    const key = this.ifaceOwners.get(`${node}/${iface}`);
    return key === undefined ? undefined : this.endpoints.get(key);
  }

  /** The endpoint that owns an address. */
  endpointByIp(ip: string): EndpointRec | undefined {
    const cidr = hostPrefix(ip);
    return cidr === null ? undefined : this.ownerOf(cidr);
  }

  upsertNamespace(ns: Namespace, w: Work): void {
    const old = this.namespaces.get(ns.name);
    this.namespaces.set(ns.name, ns);
    if (old && labelsKey(old.labels) !== labelsKey(ns.labels)) {
      for (const key of this.endpointsByNs.get(ns.name) ?? []) {
        this.rememberEndpoint(key, w);
        w.touched.add(key);
      }
    }
  }

  deleteNamespace(name: string): void {
    if ((this.endpointsByNs.get(name)?.size ?? 0) > 0 || (this.policiesByNs.get(name)?.size ?? 0) > 0) {
      throw new EngineError("namespace.not_empty", `namespace ${name} still holds endpoints or policies`);
    }
    this.namespaces.delete(name);
  }

  /** Throws namespace.not_found unless the namespace exists. */
  requireNamespace(name: string): void {
    if (!this.namespaces.has(name)) {
      throw new EngineError("namespace.not_found", `namespace ${name} does not exist`, { namespace: name });
    }
  }

  upsertEndpoint(id: number, ep: Endpoint, w: Work): void {
    this.requireNamespace(ep.namespace);
    const key = `${ep.namespace}/${ep.name}`;
    const live = this.endpoints.get(key);
    // An endpoint deleted earlier in this batch keeps its record, so its old identity is released once.
    const existing = live ?? w.removedEndpoints.get(key);
    this.rememberEndpoint(key, w);
    if (live) this.unindexEndpoint(live);
    const conflict = this.conflictOf(ep);
    if (conflict) {
      if (live) this.indexEndpoint(live);
      throw conflict;
    }
    const rec: EndpointRec = existing ?? {
      key,
      id,
      endpoint: ep,
      identity: 0,
      identityKey: "",
      setId: 0,
      setKey: "",
    };
    setField(rec, "id", id);
    setField(rec, "endpoint", ep);
    this.endpoints.set(key, rec);
    this.indexEndpoint(rec);
    addTo(this.endpointsByNs, ep.namespace, key);
    w.removedEndpoints.delete(key);
    w.touched.add(key);
  }

  deleteEndpoint(key: string, w: Work): void {
    const rec = this.endpoints.get(key);
    if (!rec) return;
    this.rememberEndpoint(key, w);
    this.unindexEndpoint(rec);
    this.endpoints.delete(key);
    this.endpointsByNs.get(rec.endpoint.namespace)?.delete(key);
    w.removedEndpoints.set(key, rec);
    w.touched.add(key);
  }

  /** A token unique to one record of the policy `key`: the user name its compiled uses go under. */
  newPolicyToken(key: string): string {
    return `${key}#${++this.tokenCounter}`;
  }

  addPolicy(rec: PolicyRec): void {
    this.policies.set(rec.key, rec);
    addTo(this.policiesByNs, rec.policy.namespace, rec.key);
    this.policyByToken.set(rec.token, rec);
  }

  /** Drops the policy's record; returns it (undefined when there was none). */
  removePolicy(key: string): PolicyRec | undefined {
    const rec = this.policies.get(key);
    if (!rec) return undefined;
    this.policies.delete(key);
    removeFrom(this.policiesByNs, rec.policy.namespace, key);
    this.policyByToken.delete(rec.token);
    return rec;
  }

  policyOf(token: string): PolicyRec | undefined {
    return this.policyByToken.get(token);
  }

  /** Keys of the policies of a namespace. */
  policyKeysIn(namespace: string): Iterable<string> {
    return this.policiesByNs.get(namespace) ?? [];
  }

  private conflictOf(ep: Endpoint): EngineError | undefined {
    for (const ip of ep.ips) {
      if (inNamespaceMap(hostPrefix(ip)!)) {
        return new EngineError("endpoint.ip_conflict", `address ${ip} is reserved for the namespace map`, {
          ip,
          owner: NAMESPACE_MAP_RANGE,
        });
      }
      const owner = this.ipOwners.get(hostPrefix(ip)!);
      if (owner !== undefined) {
        return new EngineError("endpoint.ip_conflict", `address ${ip} is already used by endpoint ${owner}`, {
          ip,
          owner,
        });
      }
    }
    const owner = this.ifaceOwners.get(`${ep.node}/${ep.interface}`);
    if (owner === undefined) return undefined;
    return new EngineError(
      "endpoint.interface_conflict",
      `interface ${ep.interface} on node ${ep.node} is already used by endpoint ${owner}`,
      { interface: ep.interface, node: ep.node, owner },
    );
  }

  private rememberEndpoint(key: string, w: Work): void {
    if (w.oldEndpoints.has(key)) return;
    const rec = this.endpoints.get(key);
    w.oldEndpoints.set(
      key,
      rec ? { node: rec.endpoint.node, iface: rec.endpoint.interface, ips: rec.endpoint.ips } : null,
    );
  }

  private indexEndpoint(rec: EndpointRec): void {
    for (const ip of rec.endpoint.ips) this.ipOwners.set(hostPrefix(ip)!, rec.key);
    this.ifaceOwners.set(`${rec.endpoint.node}/${rec.endpoint.interface}`, rec.key);
  }

  private unindexEndpoint(rec: EndpointRec): void {
    for (const ip of rec.endpoint.ips) this.ipOwners.delete(hostPrefix(ip)!);
    this.ifaceOwners.delete(`${rec.endpoint.node}/${rec.endpoint.interface}`);
  }
}
