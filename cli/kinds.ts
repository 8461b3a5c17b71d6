// Owns the kinds `get` and `delete` know: names, aliases, REST paths, list answers, table columns.
import { isRecord, segment } from "./client.ts";
import { type Column, field, formatLabels, formatList, formatSelector, text } from "./table.ts";

export interface Kind {
  /** Plural name, as in the REST path. */
  name: string;
  aliases: readonly string[];
  /** Singular, for messages: `networkpolicy "deny-all" deleted`. */
  singular: string;
  namespaced: boolean;
  /** Whether `get KIND NAME` and `delete KIND NAME` exist for this kind. */
  named: boolean;
  deletable: boolean;
  path(namespace: string, name?: string): string;
  columns: Column[];
}

const name = (item: Record<string, unknown>) => text(item.name ?? field(item, "metadata", "name"));
const labels = (item: Record<string, unknown>) =>
  formatLabels(item.labels ?? field(item, "metadata", "labels"));
const revision: Column = { header: "REVISION", cell: (item) => text(item.revision), optional: true };

function formatPort(port: unknown): string | undefined {
  if (!isRecord(port)) return text(port);
  const number = `${text(port.port) ?? "?"}/${text(port.protocol) ?? "TCP"}`;
  return typeof port.name === "string" && port.name !== "" ? `${port.name}:${number}` : number;
}

export const namespacesKind: Kind = {
  name: "namespaces",
  aliases: ["namespace", "ns"],
  singular: "namespace",
  namespaced: false,
  named: true,
  deletable: true,
  path: (_namespace, item) => (item === undefined ? "/v1/namespaces" : `/v1/namespaces/${segment(item)}`),
  columns: [{ header: "NAME", cell: name }, { header: "LABELS", cell: labels }, revision],
};

export const endpointsKind: Kind = {
  name: "endpoints",
  aliases: ["endpoint", "ep"],
  singular: "endpoint",
  namespaced: true,
  named: true,
  deletable: true,
  path: (namespace, item) =>
    `/v1/namespaces/${segment(namespace)}/endpoints${item === undefined ? "" : `/${segment(item)}`}`,
  columns: [
    { header: "NAME", cell: name },
    { header: "NODE", cell: (item) => text(item.node) },
    { header: "INTERFACE", cell: (item) => text(item.interface) },
    { header: "IPS", cell: (item) => formatList(item.ips) },
    { header: "PORTS", cell: (item) => formatList(item.ports, formatPort) },
    { header: "LABELS", cell: labels },
    { header: "IDENTITY", cell: (item) => text(field(item, "status", "identity")), optional: true },
    revision,
  ],
};

export const networkPoliciesKind: Kind = {
  name: "networkpolicies",
  aliases: ["networkpolicy", "netpol"],
  singular: "networkpolicy",
  namespaced: true,
  named: true,
  deletable: true,
  path: (namespace, item) =>
    `/v1/namespaces/${segment(namespace)}/networkpolicies${item === undefined ? "" : `/${segment(item)}`}`,
  columns: [
    { header: "NAME", cell: name },
    { header: "POD-SELECTOR", cell: (item) => formatSelector(field(item, "spec", "podSelector")) },
    {
      header: "POLICY-TYPES",
      cell: (item) => formatList(field(item, "spec", "policyTypes")),
      optional: true,
    },
    revision,
  ],
};

export const clusterNetworkPoliciesKind: Kind = {
  name: "clusternetworkpolicies",
  aliases: ["clusternetworkpolicy", "cnp"],
  singular: "clusternetworkpolicy",
  namespaced: false,
  named: true,
  deletable: true,
  path: (_namespace, item) =>
    item === undefined ? "/v1/clusternetworkpolicies" : `/v1/clusternetworkpolicies/${segment(item)}`,
  columns: [
    { header: "NAME", cell: name },
    { header: "TIER", cell: (item) => text(field(item, "spec", "tier")) },
    { header: "PRIORITY", cell: (item) => text(field(item, "spec", "priority")) },
    {
      header: "MODE",
      cell: (item) => text(field(item, "metadata", "annotations", "palisade.dev/mode") ?? "enforce"),
      optional: true,
    },
    revision,
  ],
};

export const tokensKind: Kind = {
  name: "tokens",
  aliases: ["token"],
  singular: "token",
  namespaced: false,
  named: false,
  deletable: false,
  path: () => "/v1/tokens",
  columns: [
    { header: "ID", cell: (item) => text(item.id) },
    { header: "SCOPE", cell: (item) => text(item.scope) },
    { header: "DESCRIPTION", cell: (item) => text(item.description) },
    { header: "CREATED", cell: (item) => text(item.createdAt) },
    { header: "LAST-USED", cell: (item) => text(item.lastUsedAt), optional: true },
    { header: "REVOKED", cell: (item) => text(item.revokedAt), optional: true },
  ],
};

export const revisionKind: Kind = {
  name: "revision",
  aliases: ["rev"],
  singular: "revision",
  namespaced: false,
  named: false,
  deletable: false,
  path: () => "/v1/revision",
  columns: [{ header: "REVISION", cell: (item) => text(item.revision) }],
};

export const kinds: readonly Kind[] = [
  namespacesKind,
  endpointsKind,
  networkPoliciesKind,
  clusterNetworkPoliciesKind,
  revisionKind,
  tokensKind,
];

export function findKind(word: string): Kind | undefined {
  const lower = word.toLowerCase();
  return kinds.find((kind) => kind.name === lower || kind.aliases.includes(lower));
}

export function kindNames(filter: (kind: Kind) => boolean = () => true): string {
  return kinds
    .filter(filter)
    .map((kind) => `${kind.name} (${kind.aliases.join(", ")})`)
    .join(", ");
}

/**
 * The objects in an answer: a bare array, `{items: [...]}`, `{<kind name>: [...]}`, or a single
 * object (a GET by name), which becomes a list of one.
 */
export function itemsOf(answer: unknown, kind: Kind): Record<string, unknown>[] {
  if (Array.isArray(answer)) return answer.filter(isRecord);
  if (!isRecord(answer)) return [];
  for (const [key, list] of Object.entries(answer)) {
    const listKey = key === "items" || key.toLowerCase() === kind.name;
    if (listKey && Array.isArray(list)) return list.filter(isRecord);
  }
  return [answer];
}

/**
 * The store names policies `policy` and cluster policies `clusterpolicy` in write summaries; the
 * CLI says `networkpolicy` and `clusternetworkpolicy`, as `get` does.
 */
export function displayKind(kind: string | undefined): string {
  const lower = (kind ?? "object").toLowerCase();
  if (lower === "policy") return "networkpolicy";
  return lower === "clusterpolicy" ? "clusternetworkpolicy" : lower;
}
