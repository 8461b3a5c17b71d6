// Owns the agent's flow side: enrich each datapath event with names, keep the last N in the ring,
// count verdicts per policy, log drops with names, answer the control plane's flow queries within
// the message size bound, and push new flows while the control plane follows (batched, bounded).
import type { Clock } from "../../lib/clock.ts";
import type { Log } from "../../lib/log.ts";
import {
  FLOW_ANSWER_MAX_BYTES,
  FLOW_LIMIT_MAX,
  type Flow,
  type FlowsAnswerMessage,
  type FlowsPushMessage,
  type FlowsQueryMessage,
} from "../../wire/flows.ts";
import type { DropRecord } from "../datapath/datapath.ts";
import { flowOf } from "./enrich.ts";
import type { NameBook } from "./name-book.ts";
import { FlowRing } from "./ring.ts";

/** Pushes are sent at most this often while following... */
export const PUSH_INTERVAL_MS = 200;
/** ...with at most this many flows each (the rest are counted as dropped). */
export const PUSH_MAX_FLOWS = 1000;

export interface FlowServiceOptions {
  node: string;
  book: NameBook;
  ringSize: number;
  clock: Clock;
  log: Log;
  /** Called for every flow (the per-policy verdict counters). */
  onFlow?: (f: Flow) => void;
  /** Sends a push while following; false when the stream is not open. */
  send: (msg: FlowsPushMessage) => boolean;
  /** The monotonic clock the datapath stamps events with, in ns (default process.hrtime). */
  monotonicNs?: () => bigint;
}

export class FlowService {
  readonly ring: FlowRing;
  readonly #o: FlowServiceOptions;
  #following = false;
  #pending: Flow[] = [];
  #dropped = 0;
  #timer: unknown;

  constructor(o: FlowServiceOptions) {
    this.#o = o;
    this.ring = new FlowRing(o.ringSize);
  }

  /** Takes one batch of datapath events. */
  ingest(events: DropRecord[]): void {
    const nowMs = this.#o.clock.now();
    const mono = (this.#o.monotonicNs ?? process.hrtime.bigint)();
    for (const e of events) {
      // The event's age on the monotonic clock, when plausible; else the time it was read.
      const ageNs = mono - e.timestampNs;
      const age = ageNs >= 0n && ageNs < 60_000_000_000n ? Number(ageNs / 1_000_000n) : 0;
      const f = flowOf(e, this.#o.book, this.#o.node, nowMs - age);
      this.ring.push(f);
      this.#o.onFlow?.(f);
      // An audit flow passed, but its policy would have dropped it: logged as a drop, with its verdict.
      if (f.verdict !== "allowed")
        this.#o.log({ level: "info", msg: "drop", verdict: f.verdict, ...logFields(f) });
      if (this.#following) this.#queue(f);
    }
  }

  /** The answer to one query: the newest matching flows that fit in one message, oldest first. */
  answer(q: FlowsQueryMessage): FlowsAnswerMessage {
    const flows = this.ring.query(q.filter, Math.min(q.limit, FLOW_LIMIT_MAX));
    let bytes = 200;
    let start = flows.length;
    // Keep the newest: count sizes from the end.
    while (start > 0) {
      const size = JSON.stringify(flows[start - 1]).length + 1;
      if (bytes + size > FLOW_ANSWER_MAX_BYTES) break;
      bytes += size;
      start -= 1;
    }
    return { type: "flows", id: q.id, flows: flows.slice(start), truncated: start > 0 };
  }

  follow(on: boolean): void {
    this.#following = on;
    if (!on) {
      this.#pending = [];
      this.#dropped = 0;
      this.#o.clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  get following(): boolean {
    return this.#following;
  }

  stop(): void {
    this.follow(false);
  }

  #queue(f: Flow): void {
    if (this.#pending.length >= PUSH_MAX_FLOWS) this.#dropped += 1;
    else this.#pending.push(f);
    this.#timer ??= this.#o.clock.setTimeout(() => this.#flush(), PUSH_INTERVAL_MS);
  }

  #flush(): void {
    this.#timer = undefined;
    if (!this.#following || (this.#pending.length === 0 && this.#dropped === 0)) return;
    const msg: FlowsPushMessage = { type: "flows_push", flows: this.#pending, dropped: this.#dropped };
    this.#pending = [];
    this.#dropped = 0;
    // A push that cannot be sent (stream down) is lost; the control plane re-asks on reconnect.
    this.#o.send(msg);
  }
}

/** A drop log line's fields: names, never bare ids. */
function logFields(f: Flow): Record<string, unknown> {
  return {
    endpoint: f.endpoint ? `${f.endpoint.namespace}/${f.endpoint.name}` : null,
    interface: f.interface,
    direction: f.direction,
    reason: f.reason,
    protocol: f.protocol,
    src: peerText(f.source),
    dst: peerText(f.destination),
    policy: policyText(f),
  };
}

function peerText(p: Flow["source"]): string {
  const who = p.pod ? `${p.namespace}/${p.pod}` : (p.identity ?? p.namespace ?? "");
  return `${p.address}${p.port !== undefined ? `:${p.port}` : ""}${who ? ` (${who})` : ""}`;
}

/** "NetworkPolicy ns/name rule 0", "DefaultDeny (isolated by ns/name)", or null. */
export function policyText(f: Pick<Flow, "policy">): string | null {
  const p = f.policy;
  if (!p) return null;
  if (p.kind === "NetworkPolicy") return `${p.kind} ${p.namespace}/${p.name} rule ${p.rule}`;
  if (p.kind === "ClusterNetworkPolicy") return `${p.kind} ${p.name} rule ${p.rule}`;
  if (p.kind === "DefaultDeny")
    return p.isolatedBy
      ? `DefaultDeny (isolated by ${p.isolatedBy.namespace}/${p.isolatedBy.name})`
      : "DefaultDeny";
  return `Unknown rule ${p.rule}`;
}
