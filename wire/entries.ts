// Owns the logical shape of every datapath map entry that the control plane compiles and the agent
// applies: one zod schema per entry (the type is inferred from it), its key within its map, the
// canonical form the datapath stores, and the prefix encoding of port ranges. Byte layouts live in
// bpf/ (one header per map); this file is the JSON-level contract.
import { z } from "zod";
import { canonicalCidr, formatPrefix } from "./cidr.ts";

/** Wildcard remote identity in a policy entry: matches any peer. */
export const IDENTITY_ANY = 0;
/** Reserved identity of traffic from the node itself. */
export const IDENTITY_HOST = 1;
/** Reserved identity of any address the ipcache does not know. */
export const IDENTITY_WORLD = 2;
/**
 * Remote identity of a tier entry that matches every pod (a ClusterNetworkPolicy peer selecting all
 * namespaces and all pods): one entry instead of one per label identity. Only tier lookups use it,
 * and only for a peer whose identity is a label identity (never host, world or a prefix).
 */
export const IDENTITY_ANY_POD = 3;
/** First identity given to a distinct label set (endpoint labels + namespace labels + namespace). */
export const FIRST_LABEL_IDENTITY = 256;
/**
 * Namespace identities (one per namespace with endpoints) live in [FIRST_NAMESPACE_IDENTITY,
 * FIRST_PREFIX_IDENTITY): a ClusterNetworkPolicy peer that selects whole namespaces is one tier
 * entry per namespace under this identity, not one per label identity of the namespace. No address
 * has one: the tier lookup reaches it from the peer's label identity through the namespace map
 * (`namespaceMapPrefix`). Label identities stay below.
 */
export const FIRST_NAMESPACE_IDENTITY = 0x00f0_0000;
/** Identities of CIDR prefixes (from ipBlock and per-IP named-port rules) live above this bit. */
export const FIRST_PREFIX_IDENTITY = 0x0100_0000;

/**
 * The namespace map lives in the ipcache, under a reserved IPv6 /96 (`fdff:ffff:ffff:ffff:ffff:ffff::/96`):
 * the /128 whose low 32 bits are a label identity holds that identity's namespace identity (prefix
 * identity 0). The datapath trusts a hit there only when it is a namespace identity, so a shorter
 * prefix (an ipBlock of `::/0`) or a packet really sent from that range never yields one. No pod
 * may hold an address in it (the compiler gives the keys to the namespace map, bpf/include/tiers.h).
 */
export const NAMESPACE_MAP_BYTES: readonly number[] = [
  0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
];

/** The ipcache prefix (canonical) of a label identity's namespace-map entry. */
export function namespaceMapPrefix(labelIdentity: number): string {
  const bytes = new Uint8Array(16);
  bytes.set(NAMESPACE_MAP_BYTES);
  new DataView(bytes.buffer).setUint32(12, labelIdentity >>> 0);
  return formatPrefix({ family: 6, bytes, prefixLen: 128 });
}

/** True for an identity in the namespace range. */
export function isNamespaceIdentity(identity: number): boolean {
  return identity >= FIRST_NAMESPACE_IDENTITY && identity < FIRST_PREFIX_IDENTITY;
}
/** Highest identity representable in the 32-bit map fields. */
export const MAX_IDENTITY = 0xffff_ffff;

/** IANA protocol numbers used in policy keys; 0 is the wildcard. */
export const PROTO = { ANY: 0, ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58, SCTP: 132 } as const;
export type ProtocolNumber = (typeof PROTO)[keyof typeof PROTO];

/** Policy direction, from the pod's point of view: ingress = traffic to the pod. */
export type Direction = "ingress" | "egress";

const u32 = z.number().int().min(0).max(0xffff_ffff);
const u16 = z.number().int().min(0).max(0xffff);

// Entries are plain objects, not strict ones: unknown fields are dropped rather than refused, so a
// newer control plane may add some.

/**
 * One ipcache entry: a prefix (`10.1.0.7/32`, `10.0.0.0/8`, `fd00::/64`) and what an address under
 * it is. `identity` is the peer's security identity (an endpoint's identity for its own addresses,
 * `world` for CIDR prefixes); `prefixIdentity` is the identity of the longest policy prefix that
 * contains the address (0 when none), so ipBlock rules apply to pod addresses too.
 */
export const ipcacheEntrySchema = z.object({
  prefix: z.string().refine((p) => canonicalCidr(p) !== null, "must be a CIDR prefix"),
  identity: u32,
  prefixIdentity: u32,
});
export type IpcacheEntry = z.infer<typeof ipcacheEntrySchema>;

/** Linux interface names: 1-15 bytes, no slash or whitespace; `#` is the agent's orphan marker. */
const interfaceName = z
  .string()
  .regex(/^[^\s/#][^\s/]{0,14}$/, "must be a Linux interface name (1-15 characters)");

/**
 * One local endpoint of a node, keyed by its host-side interface name. Endpoints that share
 * identity and named ports share one set of policy entries (`policySetId`). The policy ids name
 * the first policy (by id) that isolates each direction, for drop attribution; 0 when none.
 */
export const endpointEntrySchema = z.object({
  interface: interfaceName,
  endpointId: u32,
  identity: u32,
  policySetId: u32,
  ingressIsolated: z.boolean(),
  egressIsolated: z.boolean(),
  ingressPolicyId: u32,
  egressPolicyId: u32,
  /**
   * Audit mode (`palisade.dev/mode: audit`): a policy in audit mode affects this direction, so a
   * packet that passes is checked again against the view with audit policies enforced, and
   * reported as `audit` when that view drops it. Absent = false.
   */
  ingressAudit: z.boolean().optional(),
  egressAudit: z.boolean().optional(),
  /** Isolated in that view (by a NetworkPolicy in audit mode, or an enforced one). Absent = false. */
  ingressIsolatedAll: z.boolean().optional(),
  egressIsolatedAll: z.boolean().optional(),
  /**
   * A cluster policy of that tier (enforced) selects the endpoint with rules in that direction: the
   * datapath looks the tier up only then, so endpoints without tiers pay nothing. Absent = false.
   */
  ingressAdmin: z.boolean().optional(),
  egressAdmin: z.boolean().optional(),
  ingressBaseline: z.boolean().optional(),
  egressBaseline: z.boolean().optional(),
});
export type EndpointEntry = z.infer<typeof endpointEntrySchema>;

/** ClusterNetworkPolicy tiers an entry may belong to; an entry without a tier is a NetworkPolicy allow. */
export const TIERS = ["admin", "baseline"] as const;
export type TierName = (typeof TIERS)[number];

/** Highest ClusterNetworkPolicy priority (upstream: 0-1000, lower first). */
export const MAX_TIER_PRIORITY = 1000;

/**
 * One policy entry: an allow for (policy set, direction, remote identity, protocol, port prefix).
 * A tier entry (`tier` set: a ClusterNetworkPolicy rule) holds its action instead (`accept`, `deny`
 * or `pass`) and its policy's `priority`; within a tier the entry with the lowest (priority,
 * policyId, ruleIndex) among those matching a packet decides. An agent that predates tiers refuses
 * such entries (their verdict is not `allow`) and keeps its last good state: never fails open.
 * Ports are matched as a prefix of the 16-bit port, so a range becomes a few entries, never one per
 * port. `protocol` 0 means any protocol (then port and portPrefixLen are 0); `portPrefixLen` 0
 * means any port of that protocol. `policyId` (store id) and `ruleIndex` attribute the entry to
 * the rule that produced it.
 */
export const policyEntrySchema = z.object({
  policySetId: u32,
  direction: z.enum(["ingress", "egress"]),
  remoteIdentity: u32,
  protocol: z.number().int().min(0).max(255),
  port: u16,
  portPrefixLen: z.number().int().min(0).max(16),
  verdict: z.enum(["allow", "accept", "deny", "pass"]),
  policyId: u32,
  ruleIndex: u16,
  tier: z.enum(TIERS).optional(),
  priority: z.number().int().min(0).max(MAX_TIER_PRIORITY).optional(),
  /**
   * The entry belongs to the audit view: the decision with policies in audit mode enforced, which
   * the datapath consults only to report `audit` (see EndpointEntry.ingressAudit). In that view a
   * NetworkPolicy allow has verdict `accept` (so that agents without audit mode refuse it), and
   * one with verdict `deny` (any identity, any protocol) marks an isolated direction and names the
   * isolating policy.
   */
  audit: z.boolean().optional(),
});
export type PolicyEntry = z.infer<typeof policyEntrySchema>;

/** The fields that identify a policy entry within its map. */
export type PolicyKeyFields = Pick<
  PolicyEntry,
  "policySetId" | "direction" | "remoteIdentity" | "protocol" | "port" | "portPrefixLen"
> &
  Partial<Pick<PolicyEntry, "tier" | "audit">>;

/** Everything one node's datapath should hold. */
export const nodeStateSchema = z.object({
  ipcache: z.array(ipcacheEntrySchema),
  endpoints: z.array(endpointEntrySchema),
  policies: z.array(policyEntrySchema),
});
export type NodeState = z.infer<typeof nodeStateSchema>;

const mapDeltaSchema = <T extends z.ZodType>(entry: T) =>
  z.object({ upsert: z.array(entry), remove: z.array(entry) });

/** What one revision changes on one node. The ipcache part is the same for every node. */
export const nodeDeltaSchema = z.object({
  ipcache: mapDeltaSchema(ipcacheEntrySchema),
  endpoints: mapDeltaSchema(endpointEntrySchema),
  policies: mapDeltaSchema(policyEntrySchema),
});
export type NodeDelta = z.infer<typeof nodeDeltaSchema>;

/** Changes to one map: entries to create or replace, and entries to remove (identified by their key fields). */
export interface MapDelta<T> {
  upsert: T[];
  remove: T[];
}

export function emptyDelta<T>(): MapDelta<T> {
  return { upsert: [], remove: [] };
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

export function policyKey(e: PolicyKeyFields): string {
  const tiered = e.tier === undefined ? e.direction : `${e.tier}-${e.direction}`;
  const dir = e.audit ? `audit-${tiered}` : tiered;
  return `${e.policySetId}/${dir}/${e.remoteIdentity}/${e.protocol}/${e.port}/${e.portPrefixLen}`;
}

/** The key fields of a policy entry, without its value. */
export function policyKeyFields(e: PolicyKeyFields): PolicyKeyFields {
  const { policySetId, direction, remoteIdentity, protocol, port, portPrefixLen } = e;
  const out: PolicyKeyFields = { policySetId, direction, remoteIdentity, protocol, port, portPrefixLen };
  if (e.tier !== undefined) out.tier = e.tier;
  if (e.audit) out.audit = true;
  return out;
}

/** Canonical prefix texts already computed: the agent sees its whole ipcache again on every apply. */
const canonicalPrefixes = new Map<string, string>();

/** The canonical text of an ipcache prefix (RFC 5952, host bits cleared); a non-CIDR stays as it is. */
export function canonicalPrefix(text: string): string {
  let canonical = canonicalPrefixes.get(text);
  if (canonical === undefined) {
    if (canonicalPrefixes.size >= 1 << 20) canonicalPrefixes.clear();
    canonical = canonicalCidr(text) ?? text;
    canonicalPrefixes.set(text, canonical);
  }
  return canonical;
}

/** The form the datapath stores an ipcache entry in: its prefix canonical, nothing but the entry fields. */
export function canonicalIpcacheEntry(e: IpcacheEntry): IpcacheEntry {
  return { prefix: canonicalPrefix(e.prefix), identity: e.identity, prefixIdentity: e.prefixIdentity };
}

/**
 * The form the datapath stores a policy entry in (the LPM trie keeps only the prefix): port bits
 * past the prefix cleared, port and prefix 0 for any protocol, verdict allow.
 */
export function canonicalPolicyEntry(e: PolicyEntry): PolicyEntry {
  // A tier or audit-view entry keeps its verdict; a deployed NetworkPolicy entry is an allow.
  const verdict = e.tier === undefined && !e.audit ? "allow" : e.verdict;
  if (e.protocol === PROTO.ANY) return { ...e, verdict, port: 0, portPrefixLen: 0 };
  return { ...e, verdict, port: e.port & portPrefixMask(e.portPrefixLen) };
}

/** Precedence of a tier entry within its tier: lower wins (priority, then policy id, then rule). */
export function tierOrder(e: Pick<PolicyEntry, "priority" | "policyId" | "ruleIndex">): number {
  return ((e.priority ?? 0) * 2 ** 32 + e.policyId) * 32 + e.ruleIndex;
}

/** The bits of a 16-bit port a prefix of `prefixLen` keeps: 0 keeps none (any port), 16 all. */
export function portPrefixMask(prefixLen: number): number {
  return prefixLen === 0 ? 0 : (0xffff << (16 - prefixLen)) & 0xffff;
}

/** True when `port` falls inside the prefix (port, prefixLen). */
export function portPrefixContains(prefixPort: number, prefixLen: number, port: number): boolean {
  return ((prefixPort ^ port) & portPrefixMask(prefixLen)) === 0;
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
