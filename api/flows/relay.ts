// Owns the flow relay (as Hubble Relay does): the control plane stores no flows; it asks each
// connected agent over its stream (a request id, one answer, a timeout per node), merges the
// answers by time, and names the nodes that did not answer. Following turns on the agents' pushes
// while anyone follows, and hands each pushed flow to every follower.
import {
  byTime,
  type Flow,
  type FlowFilter,
  type FlowsAnswerMessage,
  type FlowsPushMessage,
} from "../../wire/flows.ts";
import type { Session } from "../sync/session.ts";

export type MissingReason = "timeout" | "disconnected" | "error";

export interface FlowQueryResult {
  flows: Flow[];
  nodes: { answered: string[]; missing: { node: string; reason: MissingReason }[] };
  /** Nodes whose answer was cut to fit one message (an addition to the contract). */
  truncated: string[];
}

interface Pending {
  node: string;
  resolve: (a: FlowsAnswerMessage | MissingReason) => void;
}

export type Follower = (f: Flow) => void;

export interface FlowRelayOptions {
  /** The connected sessions by node (the hub's map). */
  sessions: ReadonlyMap<string, Session>;
  /** Every node the control plane knows (for nodes that are not connected). */
  knownNodes: () => string[];
  log: (line: Record<string, unknown>) => void;
}

export class FlowRelay {
  readonly #o: FlowRelayOptions;
  readonly #pending = new Map<number, Pending>();
  readonly #followers = new Set<Follower>();
  #nextId = 1;

  constructor(o: FlowRelayOptions) {
    this.#o = o;
  }

  /** The newest `limit` flows matching `filter` across nodes, oldest first. */
  async query(filter: FlowFilter, limit: number, timeoutMs: number): Promise<FlowQueryResult> {
    const nodes = new Set([...this.#o.knownNodes(), ...this.#o.sessions.keys()]);
    const wanted = [...nodes].filter((n) => filter.node === undefined || n === filter.node).sort();
    const answers = await Promise.all(wanted.map((node) => this.#ask(node, filter, limit, timeoutMs)));
    const result: FlowQueryResult = { flows: [], nodes: { answered: [], missing: [] }, truncated: [] };
    for (const [i, a] of answers.entries()) {
      const node = wanted[i]!;
      if (typeof a === "string") {
        result.nodes.missing.push({ node, reason: a });
        continue;
      }
      result.nodes.answered.push(node);
      if (a.truncated) result.truncated.push(node);
      // The agent is trusted for its own node's flows only.
      for (const f of a.flows) if (f.node === node) result.flows.push(f);
    }
    result.flows.sort(byTime);
    if (result.flows.length > limit) result.flows = result.flows.slice(result.flows.length - limit);
    return result;
  }

  #ask(
    node: string,
    filter: FlowFilter,
    limit: number,
    timeoutMs: number,
  ): Promise<FlowsAnswerMessage | MissingReason> {
    const session = this.#o.sessions.get(node);
    if (!session?.helloed) return Promise.resolve("disconnected");
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve("timeout");
      }, timeoutMs);
      timer.unref?.();
      this.#pending.set(id, {
        node,
        resolve: (a) => {
          clearTimeout(timer);
          this.#pending.delete(id);
          resolve(a);
        },
      });
      // An agent without flows (an older version) cannot answer.
      if (!session.queryFlows({ type: "flows_query", id, filter, limit }))
        this.#pending.get(id)?.resolve("error");
    });
  }

  /** An agent's flows message (the hub passes them on). */
  onAgentMessage(session: Session, msg: FlowsAnswerMessage | FlowsPushMessage): void {
    if (msg.type === "flows") {
      const p = this.#pending.get(msg.id);
      // An answer to another node's query, or a late one, is ignored.
      if (p && p.node === session.node) p.resolve(msg);
      return;
    }
    if (msg.dropped > 0) {
      this.#o.log({
        level: "warn",
        msg: "agent left flows out of a push",
        node: session.node,
        dropped: msg.dropped,
      });
    }
    for (const f of msg.flows) {
      if (f.node !== session.node) continue;
      for (const follower of this.#followers) follower(f);
    }
  }

  /** A session said hello: a follow in progress includes it. */
  onConnect(session: Session): void {
    if (this.#followers.size > 0) session.followFlows(true);
  }

  /** A session closed: its pending queries end now. */
  onDisconnect(session: Session): void {
    for (const p of [...this.#pending.values()]) if (p.node === session.node) p.resolve("disconnected");
  }

  /** Follows new flows until the returned function is called. */
  follow(follower: Follower): () => void {
    this.#followers.add(follower);
    if (this.#followers.size === 1)
      for (const s of this.#o.sessions.values()) if (s.helloed) s.followFlows(true);
    return () => {
      if (!this.#followers.delete(follower)) return;
      if (this.#followers.size === 0) for (const s of this.#o.sessions.values()) s.followFlows(false);
    };
  }

  get followers(): number {
    return this.#followers.size;
  }
}
