// Owns the one description of a change to a stored object (namespace, endpoint, network policy):
// callers hand it to the store, and the store, once rows have ids, hands it to the compiler.
import type { ClusterNetworkPolicy, Endpoint, Namespace, NetworkPolicy } from "../model.ts";

/**
 * A change to one object. An endpoint or policy upsert carries, beside its value, what its stage
 * needs: `EndpointRow` and `PolicyRow` (see `Change` and `ObjectWrite`).
 */
export type ObjectChange<EndpointRow, PolicyRow, EndpointDelete = unknown> =
  | { kind: "namespace"; op: "upsert"; value: Namespace }
  | { kind: "namespace"; op: "delete"; name: string }
  | ({ kind: "endpoint"; op: "upsert"; value: Endpoint } & EndpointRow)
  | ({ kind: "endpoint"; op: "delete"; namespace: string; name: string } & EndpointDelete)
  | ({ kind: "policy"; op: "upsert"; value: NetworkPolicy } & PolicyRow)
  | { kind: "policy"; op: "delete"; namespace: string; name: string }
  | ({ kind: "clusterpolicy"; op: "upsert"; value: ClusterNetworkPolicy } & PolicyRow)
  | { kind: "clusterpolicy"; op: "delete"; name: string };

/** What the compiler applies: an upserted endpoint or policy carries its store row id. */
export type Change = ObjectChange<{ id: number }, { id: number }>;

/**
 * Who writes an endpoint, for the ownership rule: an endpoint another writer manages (see
 * `Endpoint.managedBy`) is refused with endpoint.managed unless `force`. `writer` is the
 * `managedBy` of the caller (undefined for tokens); an upsert's writer is its value's `managedBy`.
 */
export interface EndpointGuard {
  writer?: string;
  force?: boolean;
  /** A delete only when the endpoint still belongs to this container (the CNI path). */
  containerId?: string;
}

/** What callers ask the store to write: no ids yet; a policy keeps the object as submitted. */
export type ObjectWrite = ObjectChange<Pick<EndpointGuard, "force">, { submitted: unknown }, EndpointGuard>;
