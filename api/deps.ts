// Owns the one object of dependencies that every route factory receives, and its construction.

import type { OpenedDatabase } from "../db/client.ts";
import type { Log } from "../lib/log.ts";
import { TokenRepository } from "./auth/tokens.ts";
import { EnrollmentRepository } from "./enrollment/enrollment.repository.ts";
import { type ApiMetrics, createMetrics } from "./metrics.ts";
import { NodesRepository } from "./nodes/nodes.repository.ts";
import { countObjects } from "./store/reads.ts";
import { Store, type StoreOptions } from "./store/store.ts";
import type { NodeEventLimits } from "./sync/event-limiter.ts";
import { SyncHub } from "./sync/hub.ts";
import { createSyncMetrics } from "./sync/metrics.ts";
import { RecentNacks } from "./ui/recent-nacks.ts";
import { type WebhookOptions, Webhooks } from "./webhooks/service.ts";

export interface Deps {
  store: Store;
  tokens: TokenRepository;
  enrollment: EnrollmentRepository;
  nodes: NodesRepository;
  hub: SyncHub;
  webhooks: Webhooks;
  metrics: ApiMetrics;
  /** The last nacks agents sent (for the console's overview). */
  recentNacks: RecentNacks;
  adminToken: string;
  log: Log;
}

export interface DepsOptions {
  adminToken: string;
  log: Deps["log"];
  heartbeatSeconds?: number;
  nodeEvents?: NodeEventLimits;
  /** How long one turn of a revision's fan-out may run (default FANOUT_SLICE_MS; tests). */
  fanoutSliceMs?: number;
  store?: Omit<StoreOptions, "onCommit">;
  /** Webhook delivery and inbound options (allowed networks, clock, worker bounds). */
  webhooks?: WebhookOptions;
}

export function createDeps(database: OpenedDatabase, opts: DepsOptions): Deps {
  let hub: SyncHub | undefined;
  let metrics: ApiMetrics | undefined;
  let webhooks: Webhooks | undefined;
  const recentNacks = new RecentNacks();
  const store = new Store(database, {
    log: opts.log,
    ...opts.store,
    // Webhook events of a write commit (or roll back) with the write itself.
    inTransaction: (result, origin) => {
      opts.store?.inTransaction?.(result, origin);
      webhooks?.inTransaction(result, origin);
    },
    onCommit: (result) => {
      metrics?.compileSeconds.observe(result.compileMs / 1000);
      hub?.onCommit(result);
      webhooks?.afterCommit();
    },
  });
  metrics = createMetrics(
    () => countObjects(database.db),
    () => store.revision(),
  );
  webhooks = new Webhooks(database, metrics.registry, opts.log, opts.webhooks);
  const enrollment = new EnrollmentRepository(database.db);
  const nodes = new NodesRepository(database.db);
  const syncMetrics = createSyncMetrics(
    metrics.registry,
    () =>
      [...(hub?.sessions.values() ?? [])].map((s) => ({ node: s.node, appliedRevision: s.appliedRevision })),
    () => store.revision(),
  );
  hub = new SyncHub({
    store,
    enrollment,
    nodes,
    metrics: syncMetrics,
    log: opts.log,
    heartbeatSeconds: opts.heartbeatSeconds,
    nodeEvents: opts.nodeEvents,
    fanoutSliceMs: opts.fanoutSliceMs,
    onEvent: (event) => {
      recentNacks.observe(event);
      webhooks?.emit(event);
    },
  });
  return {
    store,
    tokens: new TokenRepository(database.db),
    enrollment,
    nodes,
    hub,
    webhooks,
    metrics,
    recentNacks,
    adminToken: opts.adminToken,
    log: opts.log,
  };
}
