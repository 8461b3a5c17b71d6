// Owns the logical shape of every datapath map entry that the control plane compiles and the agent
// applies. Byte layouts live in bpf/ (one header per map); this file is the JSON-level contract.

/** Wildcard remote identity in a policy entry: matches any peer. */
export const IDENTITY_ANY = 0;
/** Reserved identity of traffic from the node itself. */
export const IDENTITY_HOST = 1;
/** Reserved identity of any address the ipcache does not know. */
export const IDENTITY_WORLD = 2;
/** First identity given to a distinct label set (endpoint labels + namespace labels + namespace). */
export const FIRST_LABEL_IDENTITY = 256;
/** Identities of CIDR prefixes (from ipBlock and per-IP named-port rules) live above this bit. */
export const FIRST_PREFIX_IDENTITY = 0x0100_0000;
/** Highest identity representable in the 32-bit map fields. */
export const MAX_IDENTITY = 0xffff_ffff;

/** IANA protocol numbers used in policy keys; 0 is the wildcard. */
export const PROTO = { ANY: 0, ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58, SCTP: 132 } as const;
export type ProtocolNumber = (typeof PROTO)[keyof typeof PROTO];

/** Policy direction, from the pod's point of view: ingress = traffic to the pod. */
export type Direction = "ingress" | "egress";

/**
 * One ipcache entry: a prefix (`10.1.0.7/32`, `10.0.0.0/8`, `fd00::/64`) and what an address under
 * it is. `identity` is the peer's security identity (an endpoint's identity for its own addresses,
 * `world` for CIDR prefixes); `prefixIdentity` is the identity of the longest policy prefix that
 * contains the address (0 when none), so ipBlock rules apply to pod addresses too.
 */
export interface IpcacheEntry {
  prefix: string;
  identity: number;
  prefixIdentity: number;
}

/** One local endpoint of a node, keyed by its host-side interface name. */
export interface EndpointEntry {
  interface: string;
  endpointId: number;
  identity: number;
  /** Endpoints that share identity and named ports share one set of policy entries. */
  policySetId: number;
  ingressIsolated: boolean;
  egressIsolated: boolean;
  /** The first policy (by id) that isolates each direction, for drop attribution; 0 when none. */
  ingressPolicyId: number;
  egressPolicyId: number;
}

/**
 * One policy entry: an allow for (policy set, direction, remote identity, protocol, port prefix).
 * Ports are matched as a prefix of the 16-bit port, so a range becomes a few entries, never one per
 * port. `protocol` 0 means any protocol (then port and portPrefixLen are 0); `portPrefixLen` 0
 * means any port of that protocol.
 */
export interface PolicyEntry {
  policySetId: number;
  direction: Direction;
  remoteIdentity: number;
  protocol: number;
  port: number;
  portPrefixLen: number;
  verdict: "allow";
  /** Attribution: the policy (store id) and rule index that produced the entry. */
  policyId: number;
  ruleIndex: number;
}

/** Everything one node's datapath should hold. */
export interface NodeState {
  ipcache: IpcacheEntry[];
  endpoints: EndpointEntry[];
  policies: PolicyEntry[];
}

export type MapName = keyof NodeState;
export const MAP_NAMES: readonly MapName[] = ["ipcache", "endpoints", "policies"];

/** Map capacities a node's datapath is loaded with; the compiler refuses changes that overflow them. */
export interface MapSizes {
  ipcache: number;
  endpoints: number;
  policies: number;
}

export const DEFAULT_MAP_SIZES: Readonly<MapSizes> = {
  ipcache: 131_072,
  endpoints: 4_096,
  policies: 262_144,
};

/** The key that identifies an entry within its map (values may change under the same key). */
export function ipcacheKey(e: Pick<IpcacheEntry, "prefix">): string {
  return e.prefix;
}

export function endpointKey(e: Pick<EndpointEntry, "interface">): string {
  return e.interface;
}

export function policyKey(
  e: Pick<
    PolicyEntry,
    "policySetId" | "direction" | "remoteIdentity" | "protocol" | "port" | "portPrefixLen"
  >,
): string {
  return `${e.policySetId}/${e.direction}/${e.remoteIdentity}/${e.protocol}/${e.port}/${e.portPrefixLen}`;
}

/**
 * Splits the inclusive port range [start, end] into the fewest (port, prefixLen) prefixes of the
 * 16-bit port space. A single port is one prefix of length 16; 0-65535 is one prefix of length 0.
 */
export function portRangeToPrefixes(start: number, end: number): { port: number; prefixLen: number }[] {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > 0xffff || start > end) {
    throw new RangeError(`port range must satisfy 0 <= start <= end <= 65535, got ${start}-${end}`);
  }
  const out: { port: number; prefixLen: number }[] = [];
  let low = start;
  while (low <= end) {
    let size = 1;
    let prefixLen = 16;
    // Grow the block while it stays aligned at `low` and inside the range.
    while (prefixLen > 0 && low % (size * 2) === 0 && low + size * 2 - 1 <= end) {
      size *= 2;
      prefixLen -= 1;
    }
    out.push({ port: low, prefixLen });
    low += size;
  }
  return out;
}

/** True when `port` falls inside the prefix (port, prefixLen). */
export function portPrefixContains(prefixPort: number, prefixLen: number, port: number): boolean {
  if (prefixLen === 0) return true;
  const shift = 16 - prefixLen;
  return prefixPort >>> shift === port >>> shift;
}

/** Changes to one map: entries to create or replace, and entries to remove (identified by their key fields). */
export interface MapDelta<T> {
  upsert: T[];
  remove: T[];
}

/** What one revision changes on one node. The ipcache part is the same for every node. */
export interface NodeDelta {
  ipcache: MapDelta<IpcacheEntry>;
  endpoints: MapDelta<EndpointEntry>;
  policies: MapDelta<PolicyEntry>;
}

export function emptyDelta<T>(): MapDelta<T> {
  return { upsert: [], remove: [] };
}
