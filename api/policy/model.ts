// Owns the normalized, validated shapes of the objects the policy core works on. Validation
// (api/policy/validation) turns user input into these; the compiler only ever sees these.

export type Labels = Record<string, string>;

export type SelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

export interface LabelSelectorRequirement {
  key: string;
  operator: SelectorOperator;
  /** Non-empty for In/NotIn, empty for Exists/DoesNotExist. */
  values: string[];
}

/** A Kubernetes label selector. Both parts empty = selects everything. */
export interface LabelSelector {
  matchLabels: Labels;
  matchExpressions: LabelSelectorRequirement[];
}

export type Protocol = "TCP" | "UDP" | "SCTP";

export interface PolicyPort {
  /** Defaulted to TCP when the user left it out. */
  protocol: Protocol;
  /** A port number, a named container port, or undefined for every port of the protocol. */
  port?: number | string;
  /** Inclusive end of a numeric range; only with a numeric `port`. */
  endPort?: number;
}

export interface IPBlock {
  /** Canonical CIDR (host bits cleared). */
  cidr: string;
  /** Canonical CIDRs, each strictly inside `cidr`. */
  except: string[];
}

/**
 * One peer. Exactly one of the forms holds: `ipBlock` alone, or any of podSelector and
 * namespaceSelector (both present = AND). An absent selector is undefined, never an empty one:
 * `{}` selects everything, undefined selects nothing by that dimension.
 */
export interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
}

export interface PolicyRule {
  /** `from` (ingress) or `to` (egress). Empty = every peer, as in Kubernetes. */
  peers: PolicyPeer[];
  /** Empty = every port and protocol. */
  ports: PolicyPort[];
}

export type PolicyType = "Ingress" | "Egress";

export interface NetworkPolicySpec {
  podSelector: LabelSelector;
  /** Defaulted as Kubernetes does: Ingress always, Egress when egress rules exist. */
  policyTypes: PolicyType[];
  ingress: PolicyRule[];
  egress: PolicyRule[];
}

export interface NetworkPolicy {
  namespace: string;
  name: string;
  labels: Labels;
  annotations: Record<string, string>;
  spec: NetworkPolicySpec;
}

export interface Namespace {
  name: string;
  /** Always holds `kubernetes.io/metadata.name=<name>`. */
  labels: Labels;
}

export interface EndpointPort {
  /** IANA_SVC_NAME; may be empty for an unnamed port. */
  name: string;
  port: number;
  protocol: Protocol;
}

/** Where a CNI-created endpoint runs: recorded so the agent can re-adopt and collect it. */
export interface EndpointWorkload {
  /** The container runtime that asked for the network: `containerd`, `podman`, ... */
  runtime: string;
  /** The runtime's container (sandbox) id, CNI_CONTAINERID. */
  containerId: string;
  /** The network namespace path, CNI_NETNS. */
  netns: string;
}

export interface Endpoint {
  namespace: string;
  name: string;
  labels: Labels;
  node: string;
  interface: string;
  /** Canonical addresses, IPv4 and/or IPv6. */
  ips: string[];
  ports: EndpointPort[];
  /** Set for endpoints created through the CNI plugin. */
  workload?: EndpointWorkload;
  /**
   * The workload's labels are not known yet: the endpoint is denied everything in both directions
   * (whatever the policies say) until a write clears this. Never allow-all.
   */
  labelsPending?: boolean;
  /** Set by the server, never by the body: `node/<name>` when a node credential wrote the endpoint. */
  managedBy?: string;
}

export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** The annotation that puts a NetworkPolicy or ClusterNetworkPolicy in audit mode. */
export const MODE_ANNOTATION = "palisade.dev/mode";

/** True when the object's annotations put it in audit mode (`palisade.dev/mode: audit`). */
export function isAudit(annotations: Record<string, string>): boolean {
  return annotations[MODE_ANNOTATION] === "audit";
}

/** ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2): a tier, evaluated around NetworkPolicy. */
export type Tier = "Admin" | "Baseline";

export type ClusterRuleAction = "Accept" | "Deny" | "Pass";

/** Pods in the namespaces a selector picks, or pods picked by namespace AND pod selectors. */
export type ClusterSubject =
  | { namespaces: LabelSelector }
  | { pods: { namespaceSelector: LabelSelector; podSelector: LabelSelector } };

/** A rule peer, as upstream spells it; `networks` only in egress rules (canonical CIDRs). */
export type ClusterPeer = ClusterSubject | { networks: string[] };

/**
 * One entry of a rule's `protocols`: a protocol with a destination port or an inclusive range
 * (`endPort`), or a destination port name (any protocol the named container port has).
 */
export type ClusterProtocol = { protocol: Protocol; port: number; endPort?: number } | { namedPort: string };

export interface ClusterRule {
  /** Upstream's optional rule name ("" when absent): shown in evaluate answers and drop attribution. */
  name: string;
  action: ClusterRuleAction;
  /** `from` (ingress) or `to` (egress); never empty (upstream requires at least one). */
  peers: ClusterPeer[];
  /** Absent in the object = every protocol and port: then this is empty. */
  protocols: ClusterProtocol[];
}

export interface ClusterNetworkPolicySpec {
  tier: Tier;
  /** 0-1000; lower is evaluated first within the tier. */
  priority: number;
  subject: ClusterSubject;
  /** Earlier rules take precedence over later ones (same priority). */
  ingress: ClusterRule[];
  egress: ClusterRule[];
}

export interface ClusterNetworkPolicy {
  name: string;
  labels: Labels;
  annotations: Record<string, string>;
  spec: ClusterNetworkPolicySpec;
}
