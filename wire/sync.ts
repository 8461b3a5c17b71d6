// Owns the sync protocol between the control plane and agents: every message, its schema and the
// protocol version. Both sides import this file; nothing else defines a sync message.
import { z } from "zod";
import { nodeDeltaSchema, nodeStateSchema } from "./entries.ts";
import { nameCatalogSchema, namesDeltaSchema } from "./flow-names.ts";
import { flowsAnswerSchema, flowsFollowSchema, flowsPushSchema, flowsQuerySchema } from "./flows.ts";
import { nodeNameSchema } from "./names.ts";

export const SYNC_PROTOCOL_VERSION = 1;
/**
 * Protocol 1 grows by capability, never by changing a message's meaning: an agent names what it
 * understands in its hello's `features`, and the server sends the messages and fields of a
 * capability only to agents that named it. Fields the server adds to its messages are optional and
 * dropped by agents that do not know them (server objects are not strict).
 *   FEATURE_FLOWS: the `names` field of snapshots and deltas, the `names` message, flow queries
 *   (`flows_query` -> `flows`) and following (`flows_follow` -> `flows_push`).
 */
export const FEATURE_FLOWS = "flows";
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

// Agent -> server.

export const helloSchema = z.strictObject({
  type: z.literal("hello"),
  protocol: z.number().int(),
  /** Must name the node the stream's credential belongs to. */
  node: nodeNameSchema,
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
export type Hello = z.infer<typeof helloSchema>;

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
  flowsAnswerSchema,
  flowsPushSchema,
]);

export type AgentMessage = z.infer<typeof agentMessageSchema>;

// Server -> agent. Sent only by our own code, so typed rather than validated on send; the agent
// validates every message, entries included, with `parseServerMessage` before trusting it.
// Objects are not strict: a newer control plane may add fields, and they are dropped.

export const welcomeSchema = z.object({
  type: z.literal("welcome"),
  protocol: z.number().int(),
  node: z.string(),
  heartbeatSeconds: z.number(),
});
export type WelcomeMessage = z.infer<typeof welcomeSchema>;

export const snapshotSchema = z.object({
  type: z.literal("snapshot"),
  revision,
  state: nodeStateSchema,
  /** FEATURE_FLOWS: the whole name catalog at this revision. */
  names: nameCatalogSchema.optional(),
});
export type SnapshotMessage = z.infer<typeof snapshotSchema>;

export const deltaSchema = z.object({
  type: z.literal("delta"),
  /** Apply only on top of exactly this revision. */
  fromRevision: revision,
  toRevision: revision,
  delta: nodeDeltaSchema,
  /** FEATURE_FLOWS: what these revisions change in the name catalog. */
  names: namesDeltaSchema.optional(),
});
export type DeltaMessage = z.infer<typeof deltaSchema>;

export const heartbeatSchema = z.object({
  type: z.literal("heartbeat"),
  seq: z.number().int(),
  /** The store's current revision, so an idle agent sees it is current. */
  revision,
});
export type HeartbeatMessage = z.infer<typeof heartbeatSchema>;

export const credentialSchema = z.object({ type: z.literal("credential"), credential: z.string() });
export type CredentialMessage = z.infer<typeof credentialSchema>;

/**
 * FEATURE_FLOWS: the name catalog at `revision`, sent after a hello that needs no snapshot or
 * delta (the agent restarted at the current revision and holds maps but no names). Applied only
 * when it names the agent's applied revision.
 */
export const namesSchema = z.object({ type: z.literal("names"), revision, names: nameCatalogSchema });
export type NamesMessage = z.infer<typeof namesSchema>;

export const serverMessageSchema = z.discriminatedUnion("type", [
  welcomeSchema,
  snapshotSchema,
  deltaSchema,
  heartbeatSchema,
  credentialSchema,
  namesSchema,
  flowsQuerySchema,
  flowsFollowSchema,
]);

export type ServerMessage = z.infer<typeof serverMessageSchema>;

/** The revision fields of a snapshot or delta, without its entries. */
const revisionHeaderSchema = z.discriminatedUnion("type", [
  snapshotSchema.pick({ type: true, revision: true }),
  deltaSchema.pick({ type: true, fromRevision: true, toRevision: true }),
]);
export type RevisionHeader = z.infer<typeof revisionHeaderSchema>;

/** A parsed message, or a reason fit for a close frame. */
export type Parsed<T> = { ok: true; message: T } | { ok: false; reason: string };

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, reason: "message is not JSON" };
  }
}

function issueText(what: string, path: readonly PropertyKey[], issue: z.core.$ZodIssue | undefined): string {
  return `invalid ${what} at ${path.join(".") || "(root)"}: ${issue?.message ?? "?"}`;
}

/** Parses one agent message. */
export function parseAgentMessage(text: string): Parsed<AgentMessage> {
  const json = parseJson(text);
  if (!json.ok) return json;
  const parsed = agentMessageSchema.safeParse(json.value);
  if (parsed.success) return { ok: true, message: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, reason: issueText("message", issue?.path ?? [], issue) };
}

/** Where a fault inside the entries of a snapshot or delta sits: state.<map>.<i>, delta.<map>.<op>.<i>. */
function inEntries(path: readonly PropertyKey[]): boolean {
  if (path[0] === "state") return typeof path[2] === "number";
  if (path[0] === "delta") return typeof path[3] === "number";
  return false;
}

export type ServerMessageParse =
  | { ok: true; message: ServerMessage }
  | { ok: false; reason: string; invalidEntries?: RevisionHeader };

/**
 * Parses one server message, entries included. A snapshot or delta whose only faults are in its
 * entries comes back with its revision header (`invalidEntries`): the agent refuses that revision
 * (nack) and keeps the stream. Any other fault is a reason to close the stream.
 */
export function parseServerMessage(text: string): ServerMessageParse {
  const json = parseJson(text);
  if (!json.ok) return json;
  const parsed = serverMessageSchema.safeParse(json.value);
  if (parsed.success) return { ok: true, message: parsed.data };
  const { issues } = parsed.error;
  const issue = issues[0];
  if (issue && issues.every((i) => inEntries(i.path))) {
    const header = revisionHeaderSchema.safeParse(json.value);
    // The path is given from the state or delta, as the agent reports it in its nack.
    const reason = issueText("entry", issue.path.slice(1), issue);
    if (header.success) return { ok: false, reason, invalidEntries: header.data };
  }
  return { ok: false, reason: issueText("message", issue?.path ?? [], issue) };
}
