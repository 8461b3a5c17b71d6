// Owns the sync hub: every connected agent's session, fan-out of each commit, heartbeats, node
// status, and waiting until a revision is applied everywhere.

import type { WebSocket } from "ws";
import { isoTime, realClock, type TimeSource } from "../../lib/clock.ts";
import type { Log } from "../../lib/log.ts";
import type { NamesDelta } from "../../wire/flow-names.ts";
import { CLOSE } from "../../wire/sync.ts";
import type { EnrollmentRepository } from "../enrollment/enrollment.repository.ts";
import { NameTracker } from "../flows/names.ts";
import { FlowRelay } from "../flows/relay.ts";
import type { NodesRepository } from "../nodes/nodes.repository.ts";
import type { CommitResult, Store } from "../store/store.ts";
import { NodeEventLimiter, type NodeEventLimits, type NodeEventType } from "./event-limiter.ts";
import { EncodedRevision, SnapshotFrames } from "./fanout.ts";
import type { SyncMetrics } from "./metrics.ts";
import { NodeStatusWriter } from "./node-status.ts";
import { nodeDeltaOf, Session, type SessionHost } from "./session.ts";
import { NONE, RevisionFloor, Waiters } from "./waiters.ts";

export interface HubOptions {
  store: Store;
  enrollment: EnrollmentRepository;
  nodes: NodesRepository;
  metrics: SyncMetrics;
  log: Log;
  heartbeatSeconds?: number;
  /** How long one turn of a revision's fan-out may run, in ms (default FANOUT_SLICE_MS). */
  fanoutSliceMs?: number;
  /** Heartbeats an agent may leave unanswered before it is dropped. */
  maxUnanswered?: number;
  /** The time node status is stamped with. */
  clock?: TimeSource;
  /**
   * Node events for webhooks: node.connected, node.disconnected, node.nack, and revision.enforced
   * when every connected node has acknowledged a revision (once per advance). Must not throw.
   */
  onEvent?: (event: HubEvent) => void;
  /**
   * Per node, the node.connected/disconnected and node.nack events (and their log lines) its stream
   * may cause; what is held back is coalesced into the next one delivered (`data.suppressed`).
   */
  nodeEvents?: NodeEventLimits;
}

export interface HubEvent {
  type: "node.connected" | "node.disconnected" | "node.nack" | "revision.enforced";
  revision: number;
  data: Record<string, unknown>;
}

/** A node event and its log line, delivered or held back together. */
interface NodeEvent {
  event: HubEvent;
  line: Record<string, unknown>;
}

/** A node that lags and what it last applied (null: nothing this control plane knows of). */
export interface LaggingNode {
  node: string;
  appliedRevision: number | null;
  connected: boolean;
}

/** How long one turn of the fan-out may hold the event loop, in ms (it goes on the next turn). */
export const FANOUT_SLICE_MS = 20;

export class SyncHub {
  readonly sessions = new Map<string, Session>();
  private readonly waiters = new Waiters();
  private readonly status: NodeStatusWriter;
  private readonly snapshots = new SnapshotFrames();
  /** The log rows of the last catch-up: `from` exclusive up to `now`. */
  private catchUp: { from: number; now: number; rows: ReturnType<Store["changesSince"]> } | undefined;
  /** Commits not fanned out yet, oldest first. */
  private readonly pendingFanout: { result: CommitResult; names: NamesDelta | undefined }[] = [];
  /** A heartbeat tick waits at the store's gate. */
  private tickWaiting = false;
  /** The revision being fanned out (the first pending one): its frames, and the streams left. */
  private fanning: { encoded: EncodedRevision; sessions: Session[]; next: number; ms: number } | undefined;
  /** The applied revision of every connected node's current stream (NONE before its hello). */
  private readonly applied = new RevisionFloor();
  /** The same for streams past their hello only: what revision.enforced is measured over. */
  private readonly helloed = new RevisionFloor();
  /** The last revision each node applied, kept after it disconnects (for waits that name it). */
  private readonly lastApplied = new Map<string, number>();
  /** The last revision that changed each node's own part (endpoints, policy sets). */
  private readonly lastChanged = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private readonly host: SessionHost;
  private readonly commitTimes = new Map<number, number>();
  private readonly limiter: NodeEventLimiter<NodeEvent>;
  /** The highest revision reported as enforced by every connected node. */
  private enforcedRevision = 0;
  readonly heartbeatSeconds: number;
  /** Flows: the name catalog agents get with their revisions, and the relay of flow queries. */
  readonly names: NameTracker;
  readonly flows: FlowRelay;

  constructor(private readonly opts: HubOptions) {
    this.heartbeatSeconds = opts.heartbeatSeconds ?? 10;
    const clock = opts.clock ?? realClock;
    const { store, metrics } = opts;
    this.names = new NameTracker(() => store.engine);
    this.flows = new FlowRelay({
      sessions: this.sessions,
      knownNodes: () => opts.nodes.list().map((n) => n.name),
      log: opts.log,
    });
    const sqlite = store.database.sqlite;
    const nodes = (this.status = new NodeStatusWriter({
      update: (node, status) => opts.nodes.update(node, status),
      transaction: (fn) => sqlite.transaction(fn)(),
    }));
    this.limiter = new NodeEventLimiter<NodeEvent>(
      opts.nodeEvents ?? {},
      (type) => metrics.eventsDropped.inc({ type }),
      clock,
    );
    this.host = {
      heartbeatSeconds: this.heartbeatSeconds,
      currentRevision: () => store.revision(),
      snapshot: (node, withNames) => {
        const revision = store.revision();
        const names = withNames ? () => this.names.catalog() : undefined;
        return { revision, frame: this.snapshots.frame(revision, store.engine.nodeState(node), names) };
      },
      changesSince: (node, revision) => {
        // Agents reconnecting after a restart mostly resume from the same revision: the log rows
        // are read and parsed once for all of them (until the next commit).
        const now = store.revision();
        const c = this.catchUp;
        const rows = c && c.from === revision && c.now === now ? c.rows : store.changesSince(revision);
        this.catchUp = { from: revision, now, rows };
        if (!rows || rows.length === 0) return null;
        return {
          toRevision: rows.at(-1)!.revision,
          delta: nodeDeltaOf(
            node,
            rows.map((r) => r.changes),
          ),
        };
      },
      onHello: (s, hello) => {
        // Written with the acks' status (one transaction within a second), not one SQLite write
        // per hello: 10,000 agents reconnecting after a restart spent a third of their hellos here.
        nodes.later(s.node, {
          agentVersion: hello.agentVersion,
          features: hello.features,
          lastSeenAt: isoTime(clock),
        });
        this.nodeEvent(s.node, "node.connected", {
          event: {
            type: "node.connected",
            revision: store.revision(),
            data: { node: s.node, appliedRevision: hello.appliedRevision, agentVersion: hello.agentVersion },
          },
          line: {
            level: "info",
            msg: "agent connected",
            node: s.node,
            appliedRevision: hello.appliedRevision,
          },
        });
        this.flows.onConnect(s);
        // A node that comes back already at a waited-for revision sends no ack for it.
        this.moved(s);
      },
      onAck: (s, revision) => {
        metrics.acks.inc();
        const committed = this.commitTimes.get(revision);
        if (committed !== undefined) metrics.fanoutSeconds.observe((performance.now() - committed) / 1000);
        nodes.later(s.node, { appliedRevision: revision, lastError: null, lastSeenAt: isoTime(clock) });
        this.moved(s);
      },
      onNack: (s, revision, error) => {
        metrics.nacks.inc();
        nodes.now(s.node, { lastError: `revision ${revision}: ${error.code}: ${error.message}` });
        this.nodeEvent(s.node, "node.nack", {
          event: { type: "node.nack", revision, data: { node: s.node, error } },
          line: { level: "warn", msg: "agent refused a revision", node: s.node, revision, error },
        });
      },
      onStatus: (s, status) => nodes.now(s.node, { ...status, lastSeenAt: isoTime(clock) }),
      onRotate: (s) => opts.enrollment.rotateCredential(s.node),
      names: () => this.names.catalog(),
      onFlows: (s, msg) => this.flows.onAgentMessage(s, msg),
      log: opts.log,
      counters: { deltas: () => metrics.deltasSent.inc(), snapshots: () => metrics.snapshotsSent.inc() },
    };
    this.timer = setInterval(() => this.tick(), this.heartbeatSeconds * 1000);
    this.timer.unref();
  }

  /** Starts the session of an accepted stream (its node credential already verified). */
  connect(node: string, ws: WebSocket): void {
    const previous = this.sessions.get(node);
    if (previous) previous.close(CLOSE.REPLACED, "a newer stream of this node replaced this one");
    const session = new Session(node, ws, this.host);
    this.sessions.set(node, session);
    // Until its hello, the new stream has applied nothing (and is no part of revision.enforced).
    this.applied.set(node, NONE);
    this.helloed.delete(node);
    this.opts.metrics.connected.set(this.sessions.size);
    ws.on("message", (data, isBinary) => {
      if (isBinary) return session.close(CLOSE.PROTOCOL, "binary frames are not part of the protocol");
      const text = data.toString();
      // A hello or a nack reads the engine (a snapshot, a catch-up): while a sliced write is paused
      // half applied, the stream's messages wait for it, in order (store/write-gate.ts).
      this.opts.store.gate.whenSettled(() => {
        if (ws.readyState === ws.OPEN) session.handle(text);
      });
    });
    ws.on("error", (err) =>
      this.opts.log({ level: "warn", msg: "agent stream error", node, error: String(err) }),
    );
    ws.on("close", (code, reason) => {
      // A stream replaced by a newer one of the same node is no disconnection of the node.
      const current = this.sessions.get(node) === session;
      if (current) {
        this.status.flushNode(node);
        this.sessions.delete(node);
        this.applied.delete(node);
        this.helloed.delete(node);
        // Fleet-wide waits count connected nodes only: one that leaves may be the last laggard.
        this.waiters.settleFleet(this.applied.min());
      }
      this.flows.onDisconnect(session);
      this.opts.metrics.connected.set(this.sessions.size);
      const line = { level: "info", msg: "agent disconnected", node };
      if (current && session.helloed) {
        this.nodeEvent(node, "node.disconnected", {
          event: {
            type: "node.disconnected",
            revision: this.opts.store.revision(),
            data: { node, code, reason: reason.toString(), appliedRevision: session.appliedRevision },
          },
          line,
        });
        this.checkEnforced();
      } else {
        this.opts.log(line);
      }
    });
  }

  /**
   * Queues a commit's fan-out to every connected agent: it runs after the commit has answered
   * (never inside it, never waiting for any agent). Losing the queue to a crash loses no delta:
   * the revisions are in the log, and agents resume from it when they reconnect.
   */
  onCommit(result: CommitResult): void {
    this.catchUp = undefined;
    this.commitTimes.set(result.revision, performance.now());
    if (this.commitTimes.size > 1024) this.commitTimes.delete(this.commitTimes.keys().next().value!);
    for (const node in result.changes.nodes) this.lastChanged.set(node, result.revision);
    // Names are tracked in commit order (the tracker reads the engine as of this revision).
    const names = this.names.onCommit(result.written);
    this.pendingFanout.push({ result, names });
    if (this.pendingFanout.length === 1) setImmediate(() => this.fanOut());
  }

  /** Sends every queued revision, in order, each distinct delta encoded once. */
  private fanOut(): void {
    // A stream out of step gets a snapshot of the engine: never of a half-applied write.
    if (this.opts.store.gate.busy) {
      this.opts.store.gate.whenSettled(() => this.fanOut());
      return;
    }
    // A large revision's frames take long to encode and send (one per distinct delta): the loop
    // runs between streams once a slice is spent, and the rest of the fan-out goes on after.
    const sliceEnd = performance.now() + (this.opts.fanoutSliceMs ?? FANOUT_SLICE_MS);
    while (this.pendingFanout.length > 0) {
      const { result, names } = this.pendingFanout[0]!;
      const started = performance.now();
      const f = (this.fanning ??= {
        encoded: new EncodedRevision(result.revision, result.changes, names),
        sessions: [...this.sessions.values()],
        next: 0,
        ms: 0,
      });
      while (f.next < f.sessions.length) {
        f.sessions[f.next++]!.onCommit(f.encoded);
        if (performance.now() > sliceEnd && f.next < f.sessions.length) {
          f.ms += performance.now() - started;
          setImmediate(() => this.fanOut());
          return;
        }
      }
      f.ms += performance.now() - started;
      this.opts.metrics.sendSeconds.observe(f.ms / 1000);
      this.fanning = undefined;
      this.pendingFanout.shift();
    }
  }

  /** Closes a node's stream (its credential was revoked or the node deleted). */
  disconnect(node: string, code: number = CLOSE.REVOKED, reason = "node deleted"): void {
    this.sessions.get(node)?.close(code, reason);
  }

  /**
   * Nodes that have not applied `revision` yet: all connected ones, or just `node` (connected or
   * not; a disconnected one with the last revision it applied).
   */
  lagging(revision: number, node?: string): LaggingNode[] {
    if (node !== undefined) {
      const s = this.sessions.get(node);
      const applied = s ? s.appliedRevision : this.lastAppliedOf(node);
      return s && applied !== null && applied >= revision
        ? []
        : [{ node, appliedRevision: applied, connected: !!s }];
    }
    return [...this.sessions.values()]
      .filter((s) => s.appliedRevision === null || s.appliedRevision < revision)
      .map((s) => ({ node: s.node, appliedRevision: s.appliedRevision, connected: true }));
  }

  /**
   * Enrolled nodes that are disconnected, last applied a revision below `revision` (or none) and
   * whose enforcement it may change: they host endpoints (every change to the ipcache or to their
   * sets reaches them) or their own part changed after what they applied. A fleet-wide wait does
   * not count them (it waits on connected nodes); it names them so the caller can wait on each
   * with `?node=`.
   */
  disconnectedBehind(revision: number): { node: string; appliedRevision: number | null }[] {
    const out: { node: string; appliedRevision: number | null }[] = [];
    // Two columns of every enrolled node, by a prepared statement: the full list (with every
    // node's features parsed) cost a fleet-wide wait ~20 ms at 10,000 nodes.
    for (const n of this.opts.nodes.appliedRevisions()) {
      if (this.sessions.has(n.name)) continue;
      const applied = this.lastApplied.get(n.name) ?? n.appliedRevision;
      if (applied !== null && applied >= revision) continue;
      const hosts = this.opts.store.engine.nodes.endpointCount(n.name) > 0;
      const changed = (this.lastChanged.get(n.name) ?? NONE) > (applied ?? NONE);
      if (hosts || changed) out.push({ node: n.name, appliedRevision: applied });
    }
    return out.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  }

  /** Resolves true once every connected node (or `node`) applied `revision`, false on timeout. */
  waitFor(revision: number, timeoutMs: number, node?: string): Promise<boolean> {
    const now = node === undefined ? this.applied.min() : (this.sessions.get(node)?.appliedRevision ?? NONE);
    if (now >= revision) return Promise.resolve(true);
    return this.waiters.wait(revision, timeoutMs, node);
  }

  close(): void {
    clearInterval(this.timer);
    this.status.close();
    for (const s of this.sessions.values()) s.close(CLOSE.GOING_AWAY, "server shutting down");
  }

  /** Logs and emits an event a node's stream caused, within that node's limit. */
  private nodeEvent(node: string, type: NodeEventType, e: NodeEvent): void {
    const admitted = this.limiter.offer(node, type, e);
    if (admitted) this.deliver(admitted.event, admitted.suppressed);
  }

  private deliver({ event, line }: NodeEvent, suppressed: number): void {
    // The count of the events this one stands for; absent when none was dropped.
    const extra = suppressed > 0 ? { suppressed } : {};
    this.opts.log({ ...line, ...extra });
    this.emit({ ...event, data: { ...event.data, ...extra } });
  }

  private emit(event: HubEvent): void {
    try {
      this.opts.onEvent?.(event);
    } catch (err) {
      this.opts.log({
        level: "error",
        msg: "hub event handler failed",
        type: event.type,
        error: String(err),
      });
    }
  }

  /** A stream's applied revision moved (hello or ack): settles what waits on it. */
  private moved(s: Session): void {
    if (this.sessions.get(s.node) !== s) return;
    const applied = s.appliedRevision ?? NONE;
    if (s.appliedRevision !== null) this.lastApplied.set(s.node, s.appliedRevision);
    this.applied.set(s.node, applied);
    this.helloed.set(s.node, applied);
    this.waiters.settleNode(s.node, applied);
    this.waiters.settleFleet(this.applied.min());
    this.checkEnforced();
  }

  private lastAppliedOf(node: string): number | null {
    return this.lastApplied.get(node) ?? this.opts.nodes.get(node)?.appliedRevision ?? null;
  }

  /** Reports revision.enforced when every connected node has applied a revision past the last reported. */
  private checkEnforced(): void {
    if (!this.opts.onEvent || this.helloed.size === 0) return;
    // A node that said hello with nothing applied holds the floor at NONE.
    const min = Math.min(this.opts.store.revision(), this.helloed.min());
    if (min <= this.enforcedRevision) return;
    this.enforcedRevision = min;
    const ready = [...this.sessions.values()].filter((s) => s.helloed);
    this.emit({
      type: "revision.enforced",
      revision: min,
      data: { nodes: ready.map((s) => s.node).sort() },
    });
  }

  private tick(): void {
    // A tick may send a stream out of step its snapshot, and counts heartbeats whose answers wait
    // at the gate meanwhile: it waits there too (after the messages that came before it), once
    // however many ticks a long pause spans (each would count one more unanswered heartbeat).
    if (this.opts.store.gate.busy) {
      if (!this.tickWaiting) {
        this.tickWaiting = true;
        this.opts.store.gate.whenSettled(() => {
          this.tickWaiting = false;
          this.tick();
        });
      }
      return;
    }
    for (const s of [...this.sessions.values()]) s.tick(this.opts.maxUnanswered ?? 3);
    for (const { event, suppressed } of this.limiter.flush()) this.deliver(event, suppressed);
  }
}
