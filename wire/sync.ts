// Owns the sync protocol between the control plane and agents: every message, its schema and the
// protocol version. Both sides import this file; nothing else defines a sync message.
import { z } from "zod";
import type { MapDelta, NodeDelta, NodeState } from "./entries.ts";

export const SYNC_PROTOCOL_VERSION = 1;
/** Path of the agent stream (WebSocket upgrade, node credential as bearer token). */
export const SYNC_STREAM_PATH = "/v1/agent/stream";
/** Largest message either side accepts, in bytes; a larger one closes that stream (code 1009). */
export const MAX_AGENT_MESSAGE_BYTES = 1 << 20;
/** Largest server message; snapshots of big nodes may be this large. */
export const MAX_SERVER_MESSAGE_BYTES = 256 << 20;

/** WebSocket close codes the server uses, so an agent can tell why it was dropped. */
export const CLOSE = {
  /** Heartbeats went unanswered. */
  TIMEOUT: 4000,
  /** A message failed validation or broke the protocol order. */
  PROTOCOL: 4001,
  /** The credential was revoked or the node deleted. */
  REVOKED: 4003,
  /** A newer stream of the same node replaced this one. */
  REPLACED: 4009,
  /** The server is shutting down; reconnect later. */
  GOING_AWAY: 1001,
  /** A message was larger than the limit. */
  TOO_BIG: 1009,
} as const;

const revision = z.number().int().min(0);

const mapDelta = z.object({
  upsert: z.array(z.record(z.string(), z.unknown())),
  remove: z.array(z.record(z.string(), z.unknown())),
});

// Agent -> server.

export const helloSchema = z.strictObject({
  type: z.literal("hello"),
  protocol: z.number().int(),
  node: z.string().min(1).max(253),
  agentVersion: z.string().max(100),
  /** The last revision the agent applied, or null when it holds nothing (first start). */
  appliedRevision: revision.nullable(),
  /** Named kernel feature probes, e.g. {"tcx": true, "ringbuf": true}. */
  features: z.record(z.string(), z.boolean()).default({}),
  /** The map sizes the agent's datapath was loaded with. */
  mapSizes: z
    .strictObject({ ipcache: z.number().int(), endpoints: z.number().int(), policies: z.number().int() })
    .optional(),
  /** Addresses of the node itself: their traffic has identity `host`. */
  hostAddresses: z.array(z.string().max(64)).max(64).default([]),
});

export const ackSchema = z.strictObject({ type: z.literal("ack"), revision });

export const nackSchema = z.strictObject({
  type: z.literal("nack"),
  revision,
  error: z.strictObject({ code: z.string().max(100), message: z.string().max(4000) }),
});

export const heartbeatAckSchema = z.strictObject({
  type: z.literal("heartbeat_ack"),
  seq: z.number().int().min(0),
});

/** Status the agent reports between revisions (endpoints attached, last error). */
export const statusSchema = z.strictObject({
  type: z.literal("status"),
  endpointsAttached: z.number().int().min(0),
  lastError: z.string().max(4000).nullable(),
});

/** Asks for a new credential; the stream stays open and the old credential stops working. */
export const rotateSchema = z.strictObject({ type: z.literal("rotate_credential") });

export const agentMessageSchema = z.discriminatedUnion("type", [
  helloSchema,
  ackSchema,
  nackSchema,
  heartbeatAckSchema,
  statusSchema,
  rotateSchema,
]);

export type AgentMessage = z.infer<typeof agentMessageSchema>;
export type Hello = z.infer<typeof helloSchema>;

// Server -> agent. Sent only by our own code, so typed rather than validated on send; the agent
// validates the envelope (`serverMessageSchema`) before trusting it.

export interface SnapshotMessage {
  type: "snapshot";
  revision: number;
  state: NodeState;
}

export interface DeltaMessage {
  type: "delta";
  /** Apply only on top of exactly this revision. */
  fromRevision: number;
  toRevision: number;
  delta: NodeDelta;
}

export interface HeartbeatMessage {
  type: "heartbeat";
  seq: number;
  /** The store's current revision, so an idle agent sees it is current. */
  revision: number;
}

export interface CredentialMessage {
  type: "credential";
  credential: string;
}

export interface WelcomeMessage {
  type: "welcome";
  protocol: number;
  node: string;
  heartbeatSeconds: number;
}

export type ServerMessage =
  | WelcomeMessage
  | SnapshotMessage
  | DeltaMessage
  | HeartbeatMessage
  | CredentialMessage;

export const serverMessageSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("welcome"),
    protocol: z.number().int(),
    node: z.string(),
    heartbeatSeconds: z.number(),
  }),
  z.object({
    type: z.literal("snapshot"),
    revision,
    state: z.object({
      ipcache: z.array(z.unknown()),
      endpoints: z.array(z.unknown()),
      policies: z.array(z.unknown()),
    }),
  }),
  z.object({
    type: z.literal("delta"),
    fromRevision: revision,
    toRevision: revision,
    delta: z.object({ ipcache: mapDelta, endpoints: mapDelta, policies: mapDelta }),
  }),
  z.object({ type: z.literal("heartbeat"), seq: z.number().int(), revision }),
  z.object({ type: z.literal("credential"), credential: z.string() }),
]);

/** Parses one agent message: the message, or a reason fit for a close frame. */
export function parseAgentMessage(
  text: string,
): { ok: true; message: AgentMessage } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: "message is not JSON" };
  }
  const parsed = agentMessageSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      reason: `invalid message at ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "?"}`,
    };
  }
  return { ok: true, message: parsed.data };
}

/**
 * Composes consecutive deltas into one (later operations on a key win), so a node that fell behind
 * gets one message per catch-up instead of one per revision.
 */
export function mergeDeltas(
  deltas: NodeDelta[],
  keys: { [K in keyof NodeDelta]: (e: NodeDelta[K]["upsert"][number]) => string },
): NodeDelta {
  const mergeOne = <T>(parts: MapDelta<T>[], key: (e: T) => string): MapDelta<T> => {
    const ops = new Map<string, { upsert: boolean; entry: T }>();
    for (const part of parts) {
      for (const e of part.remove) ops.set(key(e), { upsert: false, entry: e });
      for (const e of part.upsert) ops.set(key(e), { upsert: true, entry: e });
    }
    const out: MapDelta<T> = { upsert: [], remove: [] };
    for (const { upsert, entry } of ops.values()) (upsert ? out.upsert : out.remove).push(entry);
    return out;
  };
  return {
    ipcache: mergeOne(
      deltas.map((d) => d.ipcache),
      keys.ipcache,
    ),
    endpoints: mergeOne(
      deltas.map((d) => d.endpoints),
      keys.endpoints,
    ),
    policies: mergeOne(
      deltas.map((d) => d.policies),
      keys.policies,
    ),
  };
}
