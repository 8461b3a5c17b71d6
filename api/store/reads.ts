// Owns reading stored objects back for the API (the compiler's memory is not the read model).
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { clusterNetworkPolicies, endpoints, namespaces, networkPolicies } from "../../db/schema.ts";
import type { ClusterNetworkPolicy, Endpoint, Namespace, NetworkPolicy } from "../policy/model.ts";

export interface Stored<T> {
  value: T;
  revision: number;
  createdAt: string;
  updatedAt: string;
}

export function getNamespace(db: Db, name: string): Stored<Namespace> | undefined {
  const row = db.select().from(namespaces).where(eq(namespaces.name, name)).get();
  return row && stored<Namespace>(row);
}

export function listNamespaces(db: Db): Stored<Namespace>[] {
  return db
    .select()
    .from(namespaces)
    .orderBy(namespaces.name)
    .all()
    .map((r) => stored<Namespace>(r));
}

export function getEndpoint(db: Db, ns: string, name: string): Stored<Endpoint> | undefined {
  const row = db
    .select()
    .from(endpoints)
    .where(and(eq(endpoints.namespace, ns), eq(endpoints.name, name)))
    .get();
  return row && stored<Endpoint>(row);
}

export function listEndpoints(db: Db, ns: string): Stored<Endpoint>[] {
  return rowsIn(db, endpoints, ns).map((r) => stored<Endpoint>(r));
}

export function getPolicy(
  db: Db,
  ns: string,
  name: string,
): (Stored<NetworkPolicy> & { submitted: unknown }) | undefined {
  const row = db
    .select()
    .from(networkPolicies)
    .where(and(eq(networkPolicies.namespace, ns), eq(networkPolicies.name, name)))
    .get();
  return row && { ...stored<NetworkPolicy>(row), submitted: JSON.parse(row.submitted) };
}

export function listPolicies(db: Db, ns: string): Stored<NetworkPolicy>[] {
  return rowsIn(db, networkPolicies, ns).map((r) => stored<NetworkPolicy>(r));
}

export function getClusterPolicy(
  db: Db,
  name: string,
): (Stored<ClusterNetworkPolicy> & { submitted: unknown }) | undefined {
  const row = db.select().from(clusterNetworkPolicies).where(eq(clusterNetworkPolicies.name, name)).get();
  return row && { ...stored<ClusterNetworkPolicy>(row), submitted: JSON.parse(row.submitted) };
}

export function listClusterPolicies(db: Db): Stored<ClusterNetworkPolicy>[] {
  return db
    .select()
    .from(clusterNetworkPolicies)
    .orderBy(clusterNetworkPolicies.name)
    .all()
    .map((r) => stored<ClusterNetworkPolicy>(r));
}

export function countObjects(db: Db): {
  namespaces: number;
  endpoints: number;
  networkpolicies: number;
  clusternetworkpolicies: number;
} {
  const count = (
    table: typeof namespaces | typeof endpoints | typeof networkPolicies | typeof clusterNetworkPolicies,
  ) => db.select({ n: sql<number>`count(*)` }).from(table).get()?.n ?? 0;
  return {
    namespaces: count(namespaces),
    endpoints: count(endpoints),
    networkpolicies: count(networkPolicies),
    clusternetworkpolicies: count(clusterNetworkPolicies),
  };
}

/** The rows of a namespace, by name. */
function rowsIn(db: Db, table: typeof endpoints | typeof networkPolicies, ns: string) {
  return db.select().from(table).where(eq(table.namespace, ns)).orderBy(table.name).all();
}

function stored<T>(row: { spec: string; revision: number; createdAt: string; updatedAt: string }): Stored<T> {
  return {
    value: JSON.parse(row.spec) as T,
    revision: row.revision,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
