// Owns the SQLite schema (drizzle): one table per aggregate, plus the revision log and allocations.
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const namespaces = sqliteTable("namespaces", {
  name: text("name").primaryKey(),
  /** Normalized Namespace (JSON). */
  spec: text("spec").notNull(),
  revision: integer("revision").notNull(),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});

export const endpoints = sqliteTable(
  "endpoints",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    namespace: text("namespace").notNull(),
    name: text("name").notNull(),
    /** Normalized Endpoint (JSON). */
    spec: text("spec").notNull(),
    revision: integer("revision").notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [uniqueIndex("endpoints_ns_name").on(t.namespace, t.name)],
);

export const networkPolicies = sqliteTable(
  "network_policies",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    namespace: text("namespace").notNull(),
    name: text("name").notNull(),
    /** The object exactly as submitted (JSON text of the parsed body). */
    submitted: text("submitted").notNull(),
    /** Normalized NetworkPolicy (JSON), what the compiler uses. */
    spec: text("spec").notNull(),
    revision: integer("revision").notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [uniqueIndex("network_policies_ns_name").on(t.namespace, t.name)],
);

/** ClusterNetworkPolicies (cluster-scoped: unique by name). */
export const clusterNetworkPolicies = sqliteTable("cluster_network_policies", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().unique(),
  /** The object exactly as submitted (JSON text of the parsed body). */
  submitted: text("submitted").notNull(),
  /** Normalized ClusterNetworkPolicy (JSON), what the compiler uses. */
  spec: text("spec").notNull(),
  revision: integer("revision").notNull(),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});

/** Ids handed out by the compiler's allocators (identities, prefixes, policy sets). */
export const allocations = sqliteTable(
  "allocations",
  {
    kind: text("kind").notNull(),
    key: text("key").notNull(),
    id: integer("id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.key] }), uniqueIndex("allocations_kind_id").on(t.kind, t.id)],
);

/** Counters: the current revision and each allocator's high-water mark. */
export const meta = sqliteTable("meta", {
  key: text("key").primaryKey(),
  value: integer("value").notNull(),
});

/** One row per revision: what was written and the compiled change set it causes. */
export const revisions = sqliteTable("revisions", {
  revision: integer("revision").primaryKey(),
  createdAt: text("created_at").notNull(),
  /** Objects written: [{kind, op, namespace, name}] (JSON). */
  summary: text("summary").notNull(),
  /** ChangeSet (JSON): ipcache delta and per-node endpoint/policy deltas. */
  changes: text("changes").notNull(),
});

export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: text("id").primaryKey(),
    description: text("description").notNull(),
    scope: text("scope", { enum: ["admin", "read"] }).notNull(),
    /** SHA-256 of the secret, hex. The secret itself is never stored. */
    secretHash: text("secret_hash").notNull(),
    createdAt: text("created_at").notNull(),
    revokedAt: text("revoked_at"),
    lastUsedAt: text("last_used_at"),
  },
  (t) => [index("api_tokens_hash").on(t.secretHash)],
);

/** Bootstrap tokens agents trade for a node credential. Only a hash of the secret is stored. */
export const enrollmentTokens = sqliteTable("enrollment_tokens", {
  id: text("id").primaryKey(),
  description: text("description").notNull(),
  secretHash: text("secret_hash").notNull(),
  expiresAt: text("expires_at").notNull(),
  maxUses: integer("max_uses").notNull(),
  uses: integer("uses").notNull().default(0),
  /** When set, a node name that is already enrolled may enroll again (its old credential dies). */
  allowReenroll: integer("allow_reenroll", { mode: "boolean" }).notNull().default(false),
  createdAt: text("created_at").notNull(),
  revokedAt: text("revoked_at"),
});

/** Enrolled nodes: credential (hashed) and realization status. */
export const nodes = sqliteTable(
  "nodes",
  {
    name: text("name").primaryKey(),
    credentialId: text("credential_id").notNull(),
    credentialHash: text("credential_hash").notNull(),
    enrolledAt: text("enrolled_at").notNull(),
    enrollmentTokenId: text("enrollment_token_id"),
    lastSeenAt: text("last_seen_at"),
    agentVersion: text("agent_version"),
    /** Kernel feature probes the agent reported (JSON object of booleans). */
    features: text("features").notNull().default("{}"),
    appliedRevision: integer("applied_revision"),
    endpointsAttached: integer("endpoints_attached"),
    lastError: text("last_error"),
    credentialRotatedAt: text("credential_rotated_at"),
  },
  // Every agent stream is authenticated by credential id: without the index each upgrade scanned
  // the table (10,000 nodes reconnecting after a restart: 10,000 x 10,000 rows).
  (t) => [index("nodes_credential_id").on(t.credentialId)],
);

/**
 * Outbound webhook subscriptions. The signing secrets are sealed (api/webhooks/secret-box.ts):
 * HMAC needs the secret itself, so it cannot be hashed, and the key is kept outside the database.
 */
export const webhooks = sqliteTable("webhooks", {
  id: text("id").primaryKey(),
  url: text("url").notNull(),
  description: text("description").notNull(),
  /** Event types wanted (JSON array; "*" means all). */
  events: text("events").notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull(),
  /** Why the subscription was disabled by the server (e.g. 410 Gone), null otherwise. */
  disabledReason: text("disabled_reason"),
  secret: text("secret").notNull(),
  /** The secret before the last rotation, still signed with until previous_secret_expires_at (ms). */
  previousSecret: text("previous_secret"),
  previousSecretExpiresAt: integer("previous_secret_expires_at"),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});

/** Events with at least one delivery: the exact JSON body every subscriber receives. */
export const webhookEvents = sqliteTable("webhook_events", {
  id: text("id").primaryKey(),
  type: text("type").notNull(),
  revision: integer("revision").notNull(),
  createdAt: text("created_at").notNull(),
  payload: text("payload").notNull(),
});

/** One event for one subscription: the delivery queue (status pending) and its outcome. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    webhookId: text("webhook_id")
      .notNull()
      .references(() => webhooks.id, { onDelete: "cascade" }),
    eventId: text("event_id")
      .notNull()
      .references(() => webhookEvents.id, { onDelete: "cascade" }),
    /** pending, in_flight, succeeded or failed. */
    status: text("status").notNull(),
    attempts: integer("attempts").notNull().default(0),
    /** Epoch ms of the next attempt (pending only). */
    nextAttemptAt: integer("next_attempt_at"),
    createdAt: text("created_at").notNull(),
    completedAt: text("completed_at"),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_id").on(t.id),
    index("webhook_deliveries_due").on(t.webhookId, t.status, t.nextAttemptAt),
    index("webhook_deliveries_status").on(t.status, t.nextAttemptAt),
  ],
);

/** Every attempt of a delivery, for the delivery log. */
export const webhookAttempts = sqliteTable(
  "webhook_attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    deliverySeq: integer("delivery_seq")
      .notNull()
      .references(() => webhookDeliveries.seq, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    startedAt: text("started_at").notNull(),
    durationMs: integer("duration_ms").notNull(),
    statusCode: integer("status_code"),
    error: text("error"),
    /** The first bytes of the receiver's answer. */
    response: text("response"),
    /** Epoch ms of the retry this attempt scheduled, null when it was the last one. */
    nextAttemptAt: integer("next_attempt_at"),
  },
  (t) => [index("webhook_attempts_delivery").on(t.deliverySeq)],
);

/** Inbound receivers. The secret is sealed as the subscriptions' are: verifying an HMAC needs it. */
export const webhookReceivers = sqliteTable("webhook_receivers", {
  id: text("id").primaryKey(),
  kind: text("kind", { enum: ["standard", "github"] }).notNull(),
  description: text("description").notNull(),
  secret: text("secret").notNull(),
  createdAt: text("created_at").notNull(),
  /** The `palisade.dev/generation` of the last bundle applied (null: none carried one yet). */
  generation: integer("generation"),
  /** The signed `webhook-timestamp` (Unix s) of the last message applied (standard receivers). */
  signedAt: integer("signed_at"),
});

/** Inbound message ids already applied, with the answer given, so a replay gets the same one. */
export const webhookReceipts = sqliteTable(
  "webhook_receipts",
  {
    receiverId: text("receiver_id")
      .notNull()
      .references(() => webhookReceivers.id, { onDelete: "cascade" }),
    messageId: text("message_id").notNull(),
    /** SHA-256 of the body (hex): the same id with another body is refused. */
    bodyHash: text("body_hash").notNull(),
    receivedAt: integer("received_at").notNull(),
    status: integer("status").notNull(),
    answer: text("answer").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.receiverId, t.messageId] }),
    index("webhook_receipts_at").on(t.receivedAt),
  ],
);

/** Small counters of the webhook module (e.g. the last revision announced as enforced). */
export const webhookState = sqliteTable("webhook_state", {
  key: text("key").primaryKey(),
  value: integer("value").notNull(),
});
