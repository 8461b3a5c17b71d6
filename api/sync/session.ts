// Owns one agent's stream: the protocol state of that node (hello, what was sent, what was
// applied), heartbeats, and backpressure. It never blocks: a stream that falls too far behind is
// answered with a snapshot once it drains.

import type { WebSocket } from "ws";
import type { NodeDelta } from "../../wire/entries.ts";
import type { NameCatalog, NamesDelta } from "../../wire/flow-names.ts";
import type { FlowsAnswerMessage, FlowsPushMessage, FlowsQueryMessage } from "../../wire/flows.ts";
import { mergeNodeDeltas } from "../../wire/map-delta.ts";
import {
  type AgentMessage,
  CLOSE,
  FEATURE_FLOWS,
  type Hello,
  parseAgentMessage,
  type ServerMessage,
  SYNC_PROTOCOL_VERSION,
} from "../../wire/sync.ts";
import { nodeDelta } from "../policy/compiler/change-set.ts";
import type { ChangeSet } from "../policy/compiler/engine.ts";
import type { EncodedRevision } from "./fanout.ts";

/** Above this many buffered bytes a stream stops getting deltas and gets a snapshot later. */
export const HIGH_WATER_BYTES = 16 << 20;
/** A stream that was behind gets its snapshot once its buffer is below this. */
export const LOW_WATER_BYTES = 1 << 20;
/** Revisions a stream may leave unanswered; past it the oldest is forgotten (its answer then closes the stream). */
export const MAX_AWAITING = 1024;

export interface SessionHost {
  heartbeatSeconds: number;
  currentRevision(): number;
  /** The node's snapshot of the current revision, encoded. */
  /** With names: the agent announced FEATURE_FLOWS (the catalog rides in the snapshot). */
  snapshot(node: string, withNames: boolean): { revision: number; frame: Buffer };
  changesSince(node: string, revision: number): { toRevision: number; delta: NodeDelta } | null;
  onHello(session: Session, hello: Hello): void;
  onAck(session: Session, revision: number): void;
  onNack(session: Session, revision: number, error: { code: string; message: string }): void;
  onStatus(session: Session, status: { endpointsAttached: number; lastError: string | null }): void;
  onRotate(session: Session): string;
  // Flows (FEATURE_FLOWS): the name catalog now, and the agents' flow answers and pushes.
  names(): NameCatalog;
  onFlows(session: Session, msg: FlowsAnswerMessage | FlowsPushMessage): void;
  log(line: Record<string, unknown>): void;
  counters: { deltas(): void; snapshots(): void };
}

export class Session {
  helloed = false;
  /** The agent announced FEATURE_FLOWS: it gets names and answers flow queries. */
  flows = false;
  /** The revision the agent will hold once it applies everything sent. */
  sentRevision: number | null = null;
  appliedRevision: number | null = null;
  behind = false;
  /**
   * Revisions sent (a delta's toRevision, a snapshot's revision) and not answered yet, oldest first.
   * An agent answers each once and in order, so an answer names one of these or is refused: a node
   * cannot nack (and raise events for) revisions it was never sent.
   */
  private readonly awaiting: number[] = [];
  private heartbeatSeq = 0;
  private unanswered = 0;
  readonly connectedAt = Date.now();

  constructor(
    readonly node: string,
    readonly ws: WebSocket,
    private readonly host: SessionHost,
  ) {}

  handle(text: string): void {
    const parsed = parseAgentMessage(text);
    if (!parsed.ok) {
      this.close(CLOSE.PROTOCOL, parsed.reason);
      return;
    }
    const msg: AgentMessage = parsed.message;
    if (!this.helloed && msg.type !== "hello") {
      this.close(CLOSE.PROTOCOL, `expected hello, got ${msg.type}`);
      return;
    }
    switch (msg.type) {
      case "hello":
        this.hello(msg);
        return;
      case "ack":
        // An ack must name a revision this stream was sent; a late one never moves it backwards.
        if (!this.answered(msg.revision)) {
          if (this.appliedRevision !== null && msg.revision <= this.appliedRevision) return;
          this.close(CLOSE.PROTOCOL, `ack for revision ${msg.revision}, which was never sent`);
          return;
        }
        if (this.appliedRevision !== null && msg.revision <= this.appliedRevision) return;
        this.appliedRevision = msg.revision;
        this.host.onAck(this, msg.revision);
        return;
      case "nack":
        if (!this.answered(msg.revision)) {
          this.close(
            CLOSE.PROTOCOL,
            `nack for revision ${msg.revision}, which this stream was not sent or answered already`,
          );
          return;
        }
        // The agent kept its last good state: the next commit brings it a snapshot (a level-triggered
        // retry) rather than a delta it cannot place.
        this.sentRevision = null;
        this.host.onNack(this, msg.revision, msg.error);
        return;
      case "heartbeat_ack":
        if (msg.seq === this.heartbeatSeq) this.unanswered = 0;
        return;
      case "status":
        this.host.onStatus(this, msg);
        return;
      case "rotate_credential":
        this.send({ type: "credential", credential: this.host.onRotate(this) });
        return;
      case "flows":
      case "flows_push":
        if (!this.flows) {
          this.close(CLOSE.PROTOCOL, `${msg.type} from an agent that did not announce ${FEATURE_FLOWS}`);
          return;
        }
        this.host.onFlows(this, msg);
        return;
    }
  }

  private hello(msg: Hello): void {
    if (this.helloed) {
      this.close(CLOSE.PROTOCOL, "hello sent twice");
      return;
    }
    if (msg.protocol !== SYNC_PROTOCOL_VERSION) {
      this.close(
        CLOSE.PROTOCOL,
        `protocol ${msg.protocol} is not supported (server speaks ${SYNC_PROTOCOL_VERSION})`,
      );
      return;
    }
    // helloSchema already refused a node name that breaks the rule (wire/names.ts); a valid name
    // must still be the node the credential belongs to.
    if (msg.node !== this.node) {
      this.close(CLOSE.PROTOCOL, `credential belongs to node ${this.node}, hello names ${msg.node}`);
      return;
    }
    this.helloed = true;
    this.flows = msg.features[FEATURE_FLOWS] === true;
    this.appliedRevision = msg.appliedRevision;
    this.host.onHello(this, msg);
    this.send({
      type: "welcome",
      protocol: SYNC_PROTOCOL_VERSION,
      node: this.node,
      heartbeatSeconds: this.host.heartbeatSeconds,
    });
    this.catchUp(msg.appliedRevision);
  }

  /** Brings the agent from `from` to the current revision: deltas when the log has them, else a snapshot. */
  private catchUp(from: number | null): void {
    const current = this.host.currentRevision();
    if (from !== null && from === current) {
      this.sentRevision = current;
      // The agent holds the maps (pinned) but may hold no names: they are not persisted.
      if (this.flows) this.send({ type: "names", revision: current, names: this.host.names() });
      return;
    }
    const changes = from === null || from > current ? null : this.host.changesSince(this.node, from);
    if (changes && from !== null) {
      // The log holds no name changes: a catch-up carries the whole catalog.
      const names = this.flows ? { replace: this.host.names() } : undefined;
      this.sendDelta(from, changes.toRevision, changes.delta, names);
    } else {
      this.sendSnapshot();
    }
  }

  /** A committed revision is fanned out (after the commit answered; later ones may be committed). */
  onCommit(encoded: EncodedRevision): void {
    const { revision } = encoded;
    if (!this.helloed) return;
    // A hello between the commit and its fan-out caught this stream up from the log already.
    if (this.sentRevision !== null && this.sentRevision >= revision) return;
    if (this.behind) {
      this.maybeRecover();
      return;
    }
    if (this.sentRevision !== revision - 1) {
      this.sendSnapshot();
      return;
    }
    if (this.overHighWater()) return;
    this.sendFrame(encoded.frameFor(this.node, this.flows));
    this.sent(revision);
    this.host.counters.deltas();
  }

  /** Asks the agent for flows (only agents that announced FEATURE_FLOWS; false otherwise). */
  queryFlows(msg: FlowsQueryMessage): boolean {
    if (!this.flows || this.ws.readyState !== this.ws.OPEN) return false;
    this.send(msg);
    return true;
  }

  /** Starts or stops the agent's pushes of new flows. */
  followFlows(on: boolean): void {
    if (this.flows) this.send({ type: "flows_follow", on });
  }

  /** Called on every heartbeat tick: returns false when the agent stopped answering. */
  tick(maxUnanswered: number): boolean {
    if (this.unanswered >= maxUnanswered) {
      const why = this.helloed
        ? `no heartbeat answer after ${maxUnanswered} heartbeats`
        : `no hello within ${maxUnanswered} heartbeat periods`;
      this.close(CLOSE.TIMEOUT, why);
      return false;
    }
    this.unanswered++;
    // A stream that has not said hello gets no heartbeat: the protocol starts with hello ->
    // welcome, and an agent cannot answer one before its hello (that answer would be refused
    // with 4001). Its ticks still count, so a stream that never says hello is closed as late.
    if (!this.helloed) return true;
    this.heartbeatSeq++;
    this.send({ type: "heartbeat", seq: this.heartbeatSeq, revision: this.host.currentRevision() });
    this.maybeRecover();
    return true;
  }

  /** Takes `revision` and every older one off the awaiting list; false when it was not on it. */
  private answered(revision: number): boolean {
    const i = this.awaiting.indexOf(revision);
    if (i < 0) return false;
    this.awaiting.splice(0, i + 1);
    return true;
  }

  private sent(revision: number): void {
    this.sentRevision = revision;
    this.awaiting.push(revision);
    if (this.awaiting.length > MAX_AWAITING) this.awaiting.shift();
  }

  close(code: number, reason: string): void {
    this.host.log({ level: "warn", msg: "closing agent stream", node: this.node, code, reason });
    try {
      this.ws.close(code, reason.slice(0, 120));
    } catch {
      this.ws.terminate();
    }
    // An agent that stopped reading never answers the close handshake: do not wait 30 s for it.
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  private maybeRecover(): void {
    if (this.behind && this.ws.bufferedAmount < LOW_WATER_BYTES) {
      this.behind = false;
      this.sendSnapshot();
    }
  }

  /** Past the high water mark the stream stops getting deltas and gets a snapshot once it drains. */
  private overHighWater(): boolean {
    if (this.ws.bufferedAmount <= HIGH_WATER_BYTES) return false;
    this.behind = true;
    this.host.log({
      level: "warn",
      msg: "agent stream behind; will send a snapshot when it drains",
      node: this.node,
    });
    return true;
  }

  private sendDelta(from: number, to: number, delta: NodeDelta, names?: NamesDelta): void {
    if (this.overHighWater()) return;
    this.send({ type: "delta", fromRevision: from, toRevision: to, delta, ...(names ? { names } : {}) });
    this.sent(to);
    this.host.counters.deltas();
  }

  private sendSnapshot(): void {
    const snap = this.host.snapshot(this.node, this.flows);
    this.sendFrame(snap.frame);
    this.sent(snap.revision);
    this.host.counters.snapshots();
  }

  /** Sends an encoded message shared with other streams (as a text frame: the protocol has no binary ones). */
  private sendFrame(frame: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(frame, { binary: false });
  }

  private send(msg: ServerMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(msg));
  }
}

/** Merges a node's part of consecutive change sets into one delta. */
export function nodeDeltaOf(node: string, sets: ChangeSet[]): NodeDelta {
  return mergeNodeDeltas(sets.map((c) => nodeDelta(c, node)));
}
