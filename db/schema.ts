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
export const nodes = sqliteTable("nodes", {
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
});
