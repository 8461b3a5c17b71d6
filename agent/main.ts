// Owns starting the node agent (the composition root): credential, datapath, reconciler, sync
// stream, metrics listener, and stopping it (the datapath stays unless removeOnExit).

import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { type Clock, realClock } from "../lib/clock.ts";
import { jsonLog, type Log } from "../lib/log.ts";
import type { MapSizes } from "../wire/entries.ts";
import { FEATURE_FLOWS } from "../wire/sync.ts";
import { enforcementOf } from "./cni/enforcement.ts";
import { type CniOptions, startCni } from "./cni/index.ts";
import { BpfAgentDatapath } from "./datapath/bpf.ts";
import type { AgentDatapath } from "./datapath/datapath.ts";
import type { InterfaceTable } from "./datapath/interfaces.ts";
import { MemoryAgentDatapath } from "./datapath/memory.ts";
import { ensureCredential } from "./enroll.ts";
import { NameBook } from "./flows/name-book.ts";
import { DEFAULT_FLOW_RING } from "./flows/ring.ts";
import { FlowService } from "./flows/service.ts";
import { startHealthServer } from "./health-server.ts";
import { createAgentMetrics } from "./metrics.ts";
import { withHostEntries } from "./reconcile/host-entries.ts";
import { Reconciler } from "./reconcile/loop.ts";
import { type AgentState, AgentStateMachine } from "./state.ts";
import { StateDir, type StoredCredential } from "./state-dir.ts";
import { RevisionApplier } from "./sync/applier.ts";
import type { BackoffOptions } from "./sync/backoff.ts";
import { SyncClient, type SyncEvent } from "./sync/client.ts";

export const AGENT_VERSION: string = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
).version;

export interface AgentOptions {
  /** Control plane base URL, e.g. http://127.0.0.1:7400. */
  server: string;
  node: string;
  /** Needed on the first start only (no credential in stateDir yet). */
  enrollToken?: string;
  stateDir: string;
  /** bpffs directory for pinned maps and links (for the memory datapath: its process-wide pin key). */
  bpffs: string;
  /** host:port for /metrics, /healthz, /readyz; port 0 picks a free one. */
  metricsListen: string;
  datapath: "bpf" | "memory";
  /** Detach and remove the whole datapath on stop() (default: leave it enforcing). */
  removeOnExit?: boolean;
  log?: Log;
  /** Serve the CNI plugin on a unix socket (`palisade agent --cni-socket`). */
  cni?: CniOptions;
  /** Flows kept in memory (default 16,384) and new-connection sampling (1 in N; 0 none; default 1). */
  flows?: { ringSize?: number; newFlowSample?: number };
  /** Timings and fakes; every field has a production default. */
  tuning?: Partial<AgentTuning>;
}

export interface AgentTuning {
  backoff: Partial<BackoffOptions>;
  resyncMs: number;
  pendingRetryMs: number;
  /** null turns credential rotation off. */
  rotateEveryMs: number | null;
  heartbeatMisses: number;
  /** Largest server message accepted (default MAX_SERVER_MESSAGE_BYTES). */
  maxMessageBytes: number;
  enrollAttempts: number;
  mapSizes: Partial<MapSizes>;
  /** The memory datapath's interface table (default: every name exists). */
  interfaces: InterfaceTable;
  clock: Clock;
  random: () => number;
}

export interface RunningAgent {
  /** The SIGTERM path: drain, close the stream, leave the datapath enforcing unless removeOnExit. */
  stop(): Promise<void>;
  state(): AgentState;
  appliedRevision(): number | null;
  datapath: AgentDatapath;
  /** The flow ring and names (tests read it directly). */
  flows: FlowService;
  /** Base URL of the metrics/health listener. */
  metricsUrl: string;
}

function hostAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal)
    .map((a) => a.address)
    .slice(0, 64);
}

async function openDatapath(o: AgentOptions, t: Partial<AgentTuning>): Promise<AgentDatapath> {
  if (o.datapath === "bpf") {
    const sample = o.flows?.newFlowSample;
    return BpfAgentDatapath.open({
      bpffs: o.bpffs,
      ...(t.mapSizes ? { sizes: t.mapSizes } : {}),
      ...(sample !== undefined ? { events: { newFlowSample: sample } } : {}),
    });
  }
  return new MemoryAgentDatapath({
    pinKey: o.bpffs,
    ...(t.mapSizes ? { sizes: t.mapSizes } : {}),
    ...(t.interfaces ? { interfaces: t.interfaces } : {}),
  });
}

export async function runAgent(opts: AgentOptions): Promise<RunningAgent> {
  const t = opts.tuning ?? {};
  const clock = t.clock ?? realClock;
  const sink = opts.log ?? jsonLog;
  const log: Log = (line) => sink({ component: "agent", node: opts.node, ...line });
  const machine = new AgentStateMachine(log);
  const stateDir = new StateDir(opts.stateDir);
  let credential: StoredCredential = await ensureCredential({
    stateDir,
    server: opts.server,
    node: opts.node,
    agentVersion: AGENT_VERSION,
    log,
    clock,
    ...(opts.enrollToken ? { enrollToken: opts.enrollToken } : {}),
    ...(t.random ? { random: t.random } : {}),
    ...(t.backoff ? { backoff: t.backoff } : {}),
    ...(t.enrollAttempts ? { attempts: t.enrollAttempts } : {}),
  });
  machine.transition("syncing", "credential ready");

  const datapath = await openDatapath(opts, t);
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    const stored = stateDir.readApplied();
    const resume = datapath.reused && stored?.node === opts.node ? stored : undefined;
    let client: SyncClient | undefined;
    let applier: RevisionApplier | undefined;
    const names = new NameBook();
    const metrics = createAgentMetrics({
      state: () => machine.state,
      appliedRevision: () => applier?.appliedRevision ?? null,
      stats: () => reconciler.stats(),
      sizes: datapath.sizes,
      counters: () => datapath.counters(),
    });
    const reconciler: Reconciler = new Reconciler({
      datapath,
      log,
      clock,
      ...(t.resyncMs ? { resyncMs: t.resyncMs } : {}),
      ...(t.pendingRetryMs ? { pendingRetryMs: t.pendingRetryMs } : {}),
      onApply: (seconds, ok) => metrics.applySeconds.observe({ result: ok ? "ok" : "error" }, seconds),
      onChange: () => {
        applier?.persist();
        client?.sendStatus();
      },
    });
    // Restart on pinned state: keep enforcing what the kernel holds; nothing is flushed or detached.
    if (datapath.reused) await reconciler.adopt(resume?.pendingEndpoints ?? []);
    applier = new RevisionApplier({
      node: opts.node,
      reconciler,
      stateDir,
      log,
      appliedRevision: resume?.revision ?? null,
      // Traffic from this node's own addresses is `host` here (allowed into isolated pods).
      overlay: (state) => withHostEntries(state, datapath.kind === "bpf" ? hostAddresses() : []),
      onNames: (delta) => names.apply(delta),
    });
    reconciler.start();
    cleanups.push(() => reconciler.stop());
    const flows = new FlowService({
      node: opts.node,
      book: names,
      ringSize: opts.flows?.ringSize ?? DEFAULT_FLOW_RING,
      clock,
      log,
      onFlow: (f) => metrics.countFlow(f),
      send: (msg) => client?.send(msg) ?? false,
    });
    cleanups.push(() => flows.stop());
    const unsubscribe = datapath.onEvents((events) => flows.ingest(events));
    cleanups.push(unsubscribe);
    const health = await startHealthServer(opts.metricsListen, metrics.registry, () => ({
      state: machine.state,
      reason: machine.reason,
      appliedRevision: applier.appliedRevision,
    }));
    cleanups.push(() => health.close());
    // The bound address, which a port of 0 leaves to the kernel: scrapers and tests read it here.
    log({ level: "info", msg: "metrics listening", url: health.url });

    const onEvent = (e: SyncEvent) => {
      if (e.type === "connecting" && e.attempt > 0) metrics.reconnects.inc();
      if (e.type === "connected") {
        if (applier.appliedRevision !== null)
          machine.transition("ready", `stream connected at revision ${applier.appliedRevision}`);
        else machine.transition("syncing", "stream connected; waiting for a snapshot");
      }
      // Following ends with the stream; the control plane asks again on the next one.
      if (e.type === "disconnected") flows.follow(false);
      if (e.type === "disconnected")
        machine.transition("degraded", `stream closed (${e.code}); enforcing the last good state`);
      if (e.type === "answered") {
        metrics.answers.inc({ type: e.answer.type });
        if (e.answer.type === "ack") machine.transition("ready", `revision ${e.answer.revision} applied`);
        if (e.answer.type === "nack") machine.transition("degraded", `revision ${e.answer.revision} refused`);
      }
    };
    client = new SyncClient({
      server: opts.server,
      node: opts.node,
      agentVersion: AGENT_VERSION,
      log,
      clock,
      onEvent,
      ...(t.random ? { random: t.random } : {}),
      ...(t.backoff ? { backoff: t.backoff } : {}),
      ...(t.rotateEveryMs !== undefined ? { rotateEveryMs: t.rotateEveryMs } : {}),
      ...(t.heartbeatMisses ? { heartbeatMisses: t.heartbeatMisses } : {}),
      ...(t.maxMessageBytes ? { maxMessageBytes: t.maxMessageBytes } : {}),
      handler: {
        hello: () => ({
          appliedRevision: applier.appliedRevision,
          features: { ...datapath.features, [FEATURE_FLOWS]: true },
          mapSizes: datapath.sizes,
          hostAddresses: datapath.kind === "bpf" ? hostAddresses() : [],
        }),
        credential: () => credential.credential,
        credentialIssuedAt: () => Date.parse(credential.issuedAt),
        saveCredential: (c) => {
          const next = { node: opts.node, credential: c, issuedAt: new Date(clock.now()).toISOString() };
          stateDir.writeCredential(next); // durable before the next connection uses it
          credential = next;
        },
        apply: (msg) => (msg.type === "snapshot" ? applier.snapshot(msg) : applier.delta(msg)),
        refuse: (header, reason) => applier.refuse(header, reason),
        flows: {
          names: (msg) => applier.names(msg),
          query: (msg) => flows.answer(msg),
          follow: (on) => flows.follow(on),
        },
        status: () => {
          const s = reconciler.stats();
          const waiting = s.pending.length > 0 ? `waiting for interfaces: ${s.pending.join(", ")}` : null;
          return { endpointsAttached: s.attached, lastError: reconciler.lastError ?? waiting };
        },
      },
    });
    client.start();
    const syncClient = client;
    cleanups.push(() => syncClient.stop());
    if (opts.cni) {
      const cni = await startCni(opts.cni, {
        server: opts.server,
        node: opts.node,
        credential: () => credential.credential,
        enforcement: enforcementOf(
          () => applier?.appliedRevision ?? null,
          (iface) => reconciler.enforced(iface),
        ),
        log,
      });
      cleanups.push(() => cni.close());
    }

    let stopping: Promise<void> | undefined;
    return {
      datapath,
      flows,
      metricsUrl: health.url,
      state: () => machine.state,
      appliedRevision: () => applier.appliedRevision,
      stop: () => {
        stopping ??= (async () => {
          machine.transition(
            "draining",
            opts.removeOnExit ? "stopping; removing the datapath" : "stopping; the datapath stays",
          );
          for (const c of cleanups.splice(0).reverse()) await c();
          if (opts.removeOnExit) await datapath.destroy();
          else await datapath.close();
          log({ level: "info", msg: "agent stopped", datapathRemoved: opts.removeOnExit === true });
        })();
        return stopping;
      },
    };
  } catch (e) {
    for (const c of cleanups.reverse()) await c();
    await datapath.close();
    throw e;
  }
}
