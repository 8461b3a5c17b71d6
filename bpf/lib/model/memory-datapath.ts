// The in-memory datapath model: the verdict algorithm of bpf/prog/policy.bpf.c over the same
// entry shapes (wire/entries.ts), with the policy decision from wire/policy-lookup.ts. It counts
// only because it passes the same case suite (*.case.ts) as the real programs.
import { canonicalCidr, formatIp } from "../../../wire/cidr.ts";
import {
  canonicalPolicyEntry,
  type IpcacheEntry,
  type PolicyEntry,
  policyKey,
} from "../../../wire/entries.ts";
import { type Decision, PolicyIndex } from "../../../wire/policy-lookup.ts";
import type { CtValue } from "../codecs/conntrack.ts";
import { counterIndex } from "../codecs/counters.ts";
import type { EndpointValue } from "../codecs/endpoints.ts";
import type { DatapathConfig, DropEvent } from "../codecs/events.ts";
import { DIR_EGRESS, DIR_INGRESS, directionName } from "../codecs/policy.ts";
import { REASONS, reasonName } from "../codecs/reasons.ts";
import type { VerdictTrace } from "../codecs/skb.ts";
import { ctAdvance, ctInitialState, ctTimeoutNs } from "./conntrack.ts";
import { emptyPacket, type ParsedPacket, parseFrame } from "./parse.ts";
import { TokenBucket } from "./token-bucket.ts";

export type Hook = "from_pod" | "to_pod";

export interface ModelVerdict {
  pass: boolean;
  trace: VerdictTrace;
}

const REASON_OF: Record<Decision["reason"], number> = {
  host: REASONS.PASS_HOST,
  not_isolated: REASONS.PASS_NOT_ISOLATED,
  policy_allowed: REASONS.PASS_POLICY,
  policy_denied: REASONS.DROP_POLICY_DENIED,
  admin_accepted: REASONS.PASS_ADMIN,
  admin_denied: REASONS.DROP_ADMIN_DENIED,
  baseline_accepted: REASONS.PASS_BASELINE,
  baseline_denied: REASONS.DROP_BASELINE_DENIED,
  audit: REASONS.PASS_AUDIT,
};

/** One frame's pass through a hook: what is counted and, for a drop, reported. */
interface FrameRun {
  ifindex: number;
  ep: EndpointValue | undefined;
  p: ParsedPacket;
  dir: number;
  t: VerdictTrace;
  len: number;
  nowNs: bigint;
}

export class MemoryDatapath {
  readonly endpoints = new Map<number, EndpointValue>();
  readonly #ipcache = new Map<string, IpcacheEntry>();
  readonly #policies = new Map<string, PolicyEntry>();
  readonly conntrack = new Map<string, CtValue>();
  readonly counters = new Map<number, { packets: number; bytes: number }>();
  readonly events: DropEvent[] = [];
  #index: PolicyIndex | undefined;
  #bucket: TokenBucket;

  constructor(events: DatapathConfig = { eventRate: 1_000_000, eventBurst: 1_000_000 }) {
    this.#bucket = new TokenBucket(events);
  }

  setIpcache(e: IpcacheEntry): void {
    const prefix = canonicalCidr(e.prefix);
    if (!prefix) throw new TypeError(`not a CIDR prefix: ${e.prefix}`);
    this.#ipcache.set(prefix, { ...e, prefix });
    this.#index = undefined;
  }
  deleteIpcache(prefix: string): void {
    this.#ipcache.delete(canonicalCidr(prefix) ?? prefix);
    this.#index = undefined;
  }
  setPolicy(e: PolicyEntry): void {
    const c = canonicalPolicyEntry(e);
    this.#policies.set(policyKey(c), c);
    this.#index = undefined;
  }
  deletePolicy(e: PolicyEntry): void {
    this.#policies.delete(policyKey(canonicalPolicyEntry(e)));
    this.#index = undefined;
  }

  /** Runs one frame through a hook of the endpoint on `ifindex`; `nowNs` stands for bpf_ktime_get_ns. */
  run(hook: Hook, ifindex: number, frame: Buffer, nowNs: bigint): ModelVerdict {
    const dir = hook === "from_pod" ? DIR_EGRESS : DIR_INGRESS;
    const p = emptyPacket();
    const parsed = parseFrame(frame, p);
    const ep = this.endpoints.get(ifindex);
    const t: VerdictTrace = {
      reason: 0,
      identity: 0,
      policyId: 0,
      ruleIndex: 0,
      endpointId: ep?.endpointId ?? 0,
    };
    if (!ep) t.reason = REASONS.DROP_UNKNOWN_ENDPOINT;
    else if (parsed !== 0) t.reason = parsed;
    else this.#track(ep, p, dir, t, nowNs);
    return this.#finish({ ifindex, ep, p, dir, t, len: frame.length, nowNs });
  }

  #track(ep: EndpointValue, p: ParsedPacket, dir: number, t: VerdictTrace, nowNs: bigint): void {
    const key = ctKey(ep.endpointId, p, dir);
    const ct = this.conntrack.get(key);
    if (ct && nowNs < ct.expiresNs) {
      ctAdvance(ct, p, ct.origin === dir);
      ct.expiresNs = nowNs + ctTimeoutNs(ct.state, p.protocol);
      Object.assign(t, {
        reason: REASONS.PASS_CONNTRACK,
        identity: ct.peerIdentity,
        policyId: ct.policyId,
        ruleIndex: ct.ruleIndex,
      });
      return;
    }
    this.#index ??= new PolicyIndex({
      ipcache: [...this.#ipcache.values()],
      policies: [...this.#policies.values()],
    });
    const remote = dir === DIR_EGRESS ? p.dstAddr : p.srcAddr;
    const icmp = p.protocol === 1 || p.protocol === 58;
    const d = this.#index.decide({
      endpoint: { ...ep, interface: "" },
      direction: directionName(dir),
      remoteIp: formatIp(p.family === 6 ? 6 : 4, remote.subarray(0, p.family === 4 ? 4 : 16)),
      protocol: p.protocol,
      port: icmp ? 0 : p.dstPort,
    });
    Object.assign(t, {
      reason: REASON_OF[d.reason],
      identity: d.remoteIdentity,
      policyId: d.policyId,
      ruleIndex: d.ruleIndex,
    });
    if (t.reason > 0) {
      const state = ctInitialState(p);
      this.conntrack.set(key, {
        expiresNs: nowNs + ctTimeoutNs(state, p.protocol),
        policyId: t.policyId,
        ruleIndex: t.ruleIndex,
        state,
        origin: dir,
        peerIdentity: t.identity,
        flags: 0,
      });
    }
  }

  #finish(run: FrameRun): ModelVerdict {
    const { dir, t, len, nowNs } = run;
    const i = counterIndex(dir, t.reason);
    const c = this.counters.get(i) ?? { packets: 0, bytes: 0 };
    c.packets += 1;
    c.bytes += len;
    this.counters.set(i, c);
    // An audit pass is reported like a drop (its reason says it passed).
    const reported = t.reason < 0 || t.reason === REASONS.PASS_AUDIT;
    if (reported && this.#bucket.take(nowNs)) this.events.push(dropEvent(run));
    return { pass: t.reason > 0, trace: t };
  }
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

/** The conntrack key of the C program, as a string: local/remote from the endpoint's side. */
export function ctKey(endpointId: number, p: ParsedPacket, dir: number): string {
  const [local, remote, lp, rp] =
    dir === DIR_EGRESS
      ? [p.srcAddr, p.dstAddr, p.srcPort, p.dstPort]
      : [p.dstAddr, p.srcAddr, p.dstPort, p.srcPort];
  return `${endpointId}/${p.family}/${p.protocol}/${hex(local)}/${hex(remote)}/${lp}/${rp}`;
}

function dropEvent({ ifindex, ep, p, dir, t, len, nowNs }: FrameRun): DropEvent {
  const addr = (a: Uint8Array) =>
    p.family === 0 ? "" : formatIp(p.family, a.subarray(0, p.family === 4 ? 4 : 16));
  return {
    timestampNs: nowNs,
    endpointId: ep?.endpointId ?? 0,
    ifindex,
    reason: t.reason,
    reasonName: reasonName(t.reason),
    peerIdentity: t.identity,
    policyId: t.policyId,
    ruleIndex: t.ruleIndex,
    direction: directionName(dir),
    family: p.family,
    protocol: p.protocol,
    srcPort: p.srcPort,
    dstPort: p.dstPort,
    srcAddr: addr(p.srcAddr),
    dstAddr: addr(p.dstAddr),
    packetLen: len,
  };
}
