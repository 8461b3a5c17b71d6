// Owns the agent's one datapath interface: read back entries, apply ordered batches, attach and
// detach interfaces by name, close (leave everything pinned) and destroy (remove everything).
import type { DropEvent } from "../../bpf/lib/codecs/events.ts";
import type { EndpointEntry, IpcacheEntry, MapSizes, NodeState, PolicyEntry } from "../../wire/entries.ts";

/** What the datapath holds now, as the shapes of wire/entries.ts, plus the interfaces with programs. */
export interface DatapathState extends NodeState {
  /**
   * Interfaces the programs are attached to. An attachment (or endpoint entry) whose interface no
   * longer exists by any name reads back as `#<ifindex>`, so the planner removes it.
   */
  attached: string[];
}

/** The fields that identify a policy entry (its key). */
export type PolicyKey = Pick<
  PolicyEntry,
  "policySetId" | "direction" | "remoteIdentity" | "protocol" | "port" | "portPrefixLen"
>;

/** One step of a batch; a batch is applied in order, each step as one map batch operation. */
export type DatapathOp =
  | { op: "upsert_ipcache"; entries: IpcacheEntry[] }
  | { op: "remove_ipcache"; prefixes: string[] }
  | { op: "upsert_policies"; entries: PolicyEntry[] }
  | { op: "remove_policies"; keys: PolicyKey[] }
  | { op: "upsert_endpoints"; entries: EndpointEntry[] }
  | { op: "remove_endpoints"; interfaces: string[] }
  | { op: "attach"; interfaces: string[] }
  | { op: "detach"; interfaces: string[] };

export interface ApplyReport {
  /** Interfaces that do not exist (yet): their endpoint entries and attachments were skipped. */
  pending: string[];
}

/** Packets and bytes the datapath counted for one (direction, verdict, reason). */
export interface CounterSample {
  direction: "ingress" | "egress";
  verdict: "pass" | "drop";
  reason: string;
  packets: number;
  bytes: number;
}

/**
 * A flow event the datapath reported: a drop, or a new connection (the packet that created a
 * conntrack entry). One per event; the datapath samples new connections and rate-limits both.
 */
export interface DropRecord {
  kind: "drop" | "new_flow";
  /** The datapath's monotonic timestamp (CLOCK_MONOTONIC, coarse), ns. */
  timestampNs: bigint;
  /** `audit`: the packet passed, but a policy in audit mode would have dropped it (reason PASS_AUDIT). */
  verdict: "drop" | "audit";
  interface: string;
  endpointId: number;
  direction: "ingress" | "egress";
  reason: string;
  policyId: number;
  ruleIndex: number;
  peerIdentity: number;
  src: string;
  dst: string;
  protocol: number;
  srcPort: number;
  dstPort: number;
}

export interface AgentDatapath {
  readonly kind: "bpf" | "memory";
  /** True when the state was carried over from an earlier process or instance (pinned). */
  readonly reused: boolean;
  readonly sizes: MapSizes;
  /** Named kernel feature probes for the hello message. */
  readonly features: Record<string, boolean>;
  read(): Promise<DatapathState>;
  /** Applies the steps in order; throws a DatapathError (entries applied before it stay). */
  apply(ops: readonly DatapathOp[]): Promise<ApplyReport>;
  /** Attaches the programs to one interface; false when the interface does not exist (yet). */
  attach(iface: string): Promise<boolean>;
  /** Removes the programs from one interface; an interface that is gone is not an error. */
  detach(iface: string): Promise<void>;
  counters(): CounterSample[];
  /** Calls back with flow events (drops and new connections) until close(); returns the unsubscribe function. */
  onEvents(listener: (events: DropRecord[]) => void): () => void;
  /** Releases handles; maps and attachments stay, so enforcement continues. */
  close(): Promise<void>;
  /** Detaches every interface and removes every map and pin. */
  destroy(): Promise<void>;
}

export type DatapathErrorCode =
  | "datapath.map_full"
  | "datapath.invalid_entry"
  | "datapath.closed"
  | "datapath.kernel";

export class DatapathError extends Error {
  readonly code: DatapathErrorCode;
  constructor(code: DatapathErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "DatapathError";
    this.code = code;
  }
}

/** The pseudo-name of an interface index that no longer has a name. */
export function orphanName(ifindex: number): string {
  return `#${ifindex}`;
}

/** A flow event from the datapath's ring buffer (or the model's queue) as the agent reports it. */
export function dropRecordOf(
  e: DropEvent,
  interfaceName: (ifindex: number) => string | undefined,
): DropRecord {
  return {
    kind: e.kind,
    timestampNs: e.timestampNs,
    verdict: e.reason > 0 ? "audit" : "drop",
    interface: interfaceName(e.ifindex) ?? orphanName(e.ifindex),
    endpointId: e.endpointId,
    direction: e.direction,
    reason: e.reasonName,
    policyId: e.policyId,
    ruleIndex: e.ruleIndex,
    peerIdentity: e.peerIdentity,
    src: e.srcAddr,
    dst: e.dstAddr,
    protocol: e.protocol,
    srcPort: e.srcPort,
    dstPort: e.dstPort,
  };
}

export function parseOrphanName(name: string): number | undefined {
  return /^#\d+$/.test(name) ? Number(name.slice(1)) : undefined;
}
