// Owns the compiler's internal records for endpoints, policies and policy sets.
import type { PolicyEntry } from "../../../wire/entries.ts";
import type { Endpoint, EndpointPort, NetworkPolicy } from "../model.ts";
import type { ClusterInfo } from "./cluster-policies.ts";

/**
 * A peer of a compiled rule: a cached label selector, a cached ipBlock, or (cluster policies only)
 * every pod, which holds no selector use: no identity coming or going concerns it, and its tier
 * entries are one IDENTITY_ANY_POD entry; or (cluster policies only) every pod of the namespaces a
 * cached namespace selector selects (namespace-peers.ts): one tier entry per namespace identity.
 */
export type PeerRef =
  | { kind: "selector"; key: string }
  | { kind: "block"; key: string }
  | { kind: "allPods"; key: "" }
  | { kind: "namespaces"; key: string };

export interface CompiledRule {
  /** Empty = every peer. */
  peers: PeerRef[];
  ports: NetworkPolicy["spec"]["ingress"][number]["ports"];
}

export interface PolicyRec {
  key: string;
  /** Unique per record instance: the user name it holds selector and prefix uses under. */
  token: string;
  id: number;
  policy: NetworkPolicy;
  subjectKey: string;
  ingress: CompiledRule[];
  egress: CompiledRule[];
  /**
   * How the policy's egress named ports depend on other endpoints: "none"; "selectors" (through
   * the identities its peers select); "all" (a wildcard or ipBlock peer: any endpoint may matter).
   */
  namedEgress: "none" | "selectors" | "all";
  /** In audit mode (`palisade.dev/mode: audit`): never isolates nor decides by itself. */
  audit: boolean;
  /**
   * Set for a ClusterNetworkPolicy: `policy` then holds its rules in NetworkPolicy shape (namespace
   * "", no policy types) and this its tier, priority, actions and mode.
   */
  cluster?: ClusterInfo;
}

export interface EndpointRec {
  key: string;
  id: number;
  endpoint: Endpoint;
  identity: number;
  identityKey: string;
  setId: number;
  setKey: string;
}

export interface PolicySet {
  id: number;
  key: string;
  identity: number;
  namespace: string;
  ports: EndpointPort[];
  members: Set<string>;
  /** How many members each node hosts. */
  nodes: Map<string, number>;
  entries: Map<string, PolicyEntry>;
  /** Keys of `entries` by remote identity (kept by set-changes.ts). */
  byRemote: Map<number, Set<string>>;
  ingressPolicyId: number;
  egressPolicyId: number;
  /** The set's endpoint flags: audit mode and tier bits (set-entries.ts AUDIT_*, ISOLATED_ALL_*, ADMIN_*, BASELINE_*). */
  setFlags: number;
  /** Host prefixes (per-address named-port targets) this set's entries refer to. */
  hostPrefixes: string[];
}
