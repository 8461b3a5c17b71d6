// Owns the conformance pods' layout: namespaces x, y, z labelled ns=<name>, pods a, b, c in each
// labelled pod=<name>, each placed on a node by a caller-given rule.
import type { ClusterSpec } from "./cluster.ts";

export function conformanceSpec(
  nodes: string[],
  nodeOf: (pod: string) => string,
  ports: number[],
): ClusterSpec {
  const namespaces = ["x", "y", "z"];
  return {
    namespaces: Object.fromEntries(namespaces.map((ns) => [ns, { ns }])),
    pods: namespaces.flatMap((namespace) =>
      ["a", "b", "c"].map((name) => ({ namespace, name, labels: { pod: name }, node: nodeOf(name) })),
    ),
    nodes,
    ports,
  };
}
