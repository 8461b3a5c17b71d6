// Owns the flow record and the flow query: the JSON shape `GET /v1/flows` answers and the console
// shows (/work/notes/s18-flow-contract.md; fields may be added, never renamed or removed), the
// filters as the API, the CLI and the agents apply them, and the sync messages that carry flow
// queries and answers between the control plane and the agents. One matcher (`flowMatches`) serves
// every place a filter is applied, so the agent and the relay never disagree.
import { z } from "zod";

/** Default and largest `limit` of a flow query (the relay's answer). */
export const FLOW_LIMIT_DEFAULT = 100;
export const FLOW_LIMIT_MAX = 10_000;
/** Default replay of a follow stream. */
export const FLOW_FOLLOW_REPLAY_DEFAULT = 20;
/** Largest JSON an agent puts in one flows answer: below the agent message limit (1 MiB). */
export const FLOW_ANSWER_MAX_BYTES = 900 * 1024;

const labels = z.record(z.string(), z.string());

/** One side of a flow: a known endpoint (namespace, pod, labels) or a reserved identity. */
export const flowPeerSchema = z.object({
  address: z.string(),
  /** Absent for ICMP and for packets whose ports were not parsed. */
  port: z.number().int().min(0).max(65535).optional(),
  namespace: z.string().optional(),
  pod: z.string().optional(),
  labels: labels.optional(),
  /** When the address is no known endpoint: "world", "host" or "cidr". */
  identity: z.enum(["world", "host", "cidr"]).optional(),
});
export type FlowPeer = z.infer<typeof flowPeerSchema>;

/**
 * The policy that decided: a NetworkPolicy and its rule, `DefaultDeny` when an isolated endpoint
 * had no matching rule (then `isolatedBy` names the policy that isolates it, an addition to the
 * contract), or null when no policy decided (not isolated, host, malformed...).
 */
export const flowPolicySchema = z.union([
  z.object({
    kind: z.literal("NetworkPolicy"),
    namespace: z.string(),
    name: z.string(),
    rule: z.number().int().min(0),
  }),
  z.object({
    kind: z.literal("ClusterNetworkPolicy"),
    name: z.string(),
    rule: z.number().int().min(0),
  }),
  z.object({
    kind: z.literal("DefaultDeny"),
    isolatedBy: z.object({ kind: z.string(), namespace: z.string(), name: z.string() }).optional(),
  }),
  /** A policy id the agent has no name for yet (its names lag the datapath): never a bare id. */
  z.object({ kind: z.literal("Unknown"), rule: z.number().int().min(0) }),
]);
export type FlowPolicy = z.infer<typeof flowPolicySchema>;

export const VERDICTS = ["allowed", "dropped", "audit"] as const;
export type Verdict = (typeof VERDICTS)[number];

export const flowSchema = z.object({
  /** ISO 8601 UTC with ms, the node's wall clock. */
  time: z.string(),
  node: z.string(),
  /** The endpoint whose program saw the packet (absent names: the interface is no known endpoint). */
  endpoint: z.object({ namespace: z.string(), name: z.string() }).nullable(),
  direction: z.enum(["ingress", "egress"]),
  verdict: z.enum(VERDICTS),
  /** The datapath reason without PASS_/DROP_, e.g. POLICY, NOT_ISOLATED, POLICY_DENIED. */
  reason: z.string(),
  /** "TCP" | "UDP" | "SCTP" | "ICMP" | "ICMPv6" | the number as a string. */
  protocol: z.string(),
  source: flowPeerSchema,
  destination: flowPeerSchema,
  policy: flowPolicySchema.nullable(),
  /** Additions: the interface, and whether this was a new connection or a drop. */
  interface: z.string().optional(),
  event: z.enum(["new_connection", "drop"]).optional(),
});
export type Flow = z.infer<typeof flowSchema>;

const PROTOCOL_NAMES: Record<number, string> = { 1: "ICMP", 6: "TCP", 17: "UDP", 58: "ICMPv6", 132: "SCTP" };

export function protocolName(n: number): string {
  return PROTOCOL_NAMES[n] ?? String(n);
}

/** A protocol filter in any case ("tcp", "ICMPv6") or a number, as the name flows carry. */
export function canonicalProtocol(text: string): string | undefined {
  if (/^\d{1,3}$/.test(text) && Number(text) <= 255) return protocolName(Number(text));
  const hit = Object.values(PROTOCOL_NAMES).find((p) => p.toLowerCase() === text.toLowerCase());
  return hit;
}

/** `ns/pod` of from/to filters. */
const podRef = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, {
  message: "must be NAMESPACE/POD",
});
const k8sName = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { message: "must be a DNS-1123 name" });

/**
 * A flow filter, already validated (the relay checks the query string; the agent re-checks the
 * message). Every field narrows: a flow matches when it matches all of them.
 */
export const flowFilterSchema = z.strictObject({
  /** Either side's namespace. */
  namespace: k8sName.optional(),
  /** Either side's pod (with namespace: in that namespace). */
  pod: k8sName.optional(),
  from: podRef.optional(),
  to: podRef.optional(),
  verdict: z.enum(VERDICTS).optional(),
  /** Canonical protocol name (canonicalProtocol). */
  protocol: z.string().max(10).optional(),
  /** Either side's port. */
  port: z.number().int().min(0).max(65535).optional(),
  node: z.string().max(253).optional(),
  /** Flows at or after this time (ms since the epoch). */
  sinceMs: z.number().int().min(0).optional(),
});
export type FlowFilter = z.infer<typeof flowFilterSchema>;

function side(p: FlowPeer): string | undefined {
  return p.namespace !== undefined && p.pod !== undefined ? `${p.namespace}/${p.pod}` : undefined;
}

/** Whether one flow passes a filter; `timeMs` is Date.parse(flow.time) when the caller has it. */
export function flowMatches(f: Flow, q: FlowFilter, timeMs = Date.parse(f.time)): boolean {
  const { source: s, destination: d } = f;
  if (q.verdict !== undefined && f.verdict !== q.verdict) return false;
  if (q.protocol !== undefined && f.protocol !== q.protocol) return false;
  if (q.node !== undefined && f.node !== q.node) return false;
  if (q.sinceMs !== undefined && !(timeMs >= q.sinceMs)) return false;
  if (q.port !== undefined && s.port !== q.port && d.port !== q.port) return false;
  if (q.from !== undefined && side(s) !== q.from) return false;
  if (q.to !== undefined && side(d) !== q.to) return false;
  if (q.namespace !== undefined && s.namespace !== q.namespace && d.namespace !== q.namespace) return false;
  if (q.pod !== undefined) {
    const hit = (p: FlowPeer) =>
      p.pod === q.pod && (q.namespace === undefined || p.namespace === q.namespace);
    if (!hit(s) && !hit(d)) return false;
  }
  return true;
}

/** Sorts by time, oldest first (ISO strings of one format sort as text). */
export function byTime(a: Flow, b: Flow): number {
  return a.time < b.time ? -1 : a.time > b.time ? 1 : 0;
}

// Sync messages (wire/sync.ts includes them in its unions). Sent only to agents whose hello
// announced `features.flows`, so an agent without flows never sees them.

/** Server -> agent: the newest `limit` flows matching `filter`, answered by `flows` with the same id. */
export const flowsQuerySchema = z.object({
  type: z.literal("flows_query"),
  id: z.number().int().min(0),
  filter: flowFilterSchema,
  limit: z.number().int().min(1).max(FLOW_LIMIT_MAX),
});
export type FlowsQueryMessage = z.infer<typeof flowsQuerySchema>;

/** Server -> agent: start (true) or stop (false) pushing new flows as they happen. */
export const flowsFollowSchema = z.object({ type: z.literal("flows_follow"), on: z.boolean() });
export type FlowsFollowMessage = z.infer<typeof flowsFollowSchema>;

/** Agent -> server: the answer to one query, oldest first; `truncated` when size cut it. */
export const flowsAnswerSchema = z.strictObject({
  type: z.literal("flows"),
  id: z.number().int().min(0),
  flows: z.array(flowSchema).max(FLOW_LIMIT_MAX),
  truncated: z.boolean(),
});
export type FlowsAnswerMessage = z.infer<typeof flowsAnswerSchema>;

/** Agent -> server: flows pushed while following; `dropped` counts flows left out to stay bounded. */
export const flowsPushSchema = z.strictObject({
  type: z.literal("flows_push"),
  flows: z.array(flowSchema).max(FLOW_LIMIT_MAX),
  dropped: z.number().int().min(0),
});
export type FlowsPushMessage = z.infer<typeof flowsPushSchema>;
