// Owns the shape of a NetworkPolicy conformance case and its context, modelled on the upstream
// Kubernetes e2e tests (test/e2e/network/netpol): namespaces x, y, z labelled ns=<name>; pods a, b,
// c in each labelled pod=<name>; every pod serving 80 and 81 on TCP and UDP (named ports
// serve-<port>-<tcp|udp>).
// Each expectation is written from the Kubernetes documentation, never read back from the system.

import type { Proto } from "../../../lib/netns/prober.ts";
import type { Cluster } from "../harness/cluster.ts";
import { assertConnectivity, type Check } from "../harness/probe.ts";
import { Reachability } from "../harness/reachability.ts";

export const NAMESPACES = ["x", "y", "z"];
export const POD_NAMES = ["a", "b", "c"];
export const PORTS = [80, 81];
export const KEYS = NAMESPACES.flatMap((ns) => POD_NAMES.map((p) => `${ns}/${p}`));

export interface CaseContext {
  cluster: Cluster;
  /** A fresh expectation table where every connection is `allowed`. */
  reach(allowed: boolean): Reachability;
  /** Writes networking.k8s.io/v1 NetworkPolicy `name` in `namespace` and waits for every agent. */
  policy(namespace: string, name: string, spec: Record<string, unknown>): Promise<void>;
  /**
   * Writes policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy `name` (annotations optional)
   * and waits for every agent.
   */
  clusterPolicy(
    name: string,
    spec: Record<string, unknown>,
    annotations?: Record<string, string>,
  ): Promise<void>;
  /** Probes [proto, port, expected] triples concurrently; fails with the matrices. */
  check(...checks: [Proto, number, Reachability][]): Promise<void>;
  ip(key: string): string;
}

export interface ConformanceCase {
  name: string;
  /** Also run across two nodes (the multi-node suite's representative subset). */
  multiNode?: boolean;
  run(ctx: CaseContext): Promise<void>;
}

export function caseContext(cluster: Cluster): CaseContext {
  return {
    cluster,
    reach: (allowed) => new Reachability(KEYS, allowed),
    async policy(namespace, name, spec) {
      await cluster.applyPolicy(namespace, {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name, namespace },
        spec,
      });
    },
    async clusterPolicy(name, spec, annotations) {
      await cluster.applyClusterPolicy({
        apiVersion: "policy.networking.k8s.io/v1alpha2",
        kind: "ClusterNetworkPolicy",
        metadata: annotations ? { name, annotations } : { name },
        spec,
      });
    },
    check: (...checks) =>
      assertConnectivity(
        cluster.pods,
        checks.map(([proto, port, expected]): Check => ({ proto, port, expected })),
      ),
    ip: (key) => cluster.pod(key).ip,
  };
}

export const podIs = (name: string) => ({ matchLabels: { pod: name } });
export const nsIs = (name: string) => ({ matchLabels: { ns: name } });
