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
import { ctAdvance, ctInitialState, ctStartsConnection, ctTimeoutNs } from "./conntrack.ts";
import { FragmentTable } from "./fragments.ts";
import { icmpIsError, icmpQuoted } from "./icmp-related.ts";
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
  readonly #endpoints = new Map<number, EndpointValue>();
  readonly #ipcache = new Map<string, IpcacheEntry>();
  readonly #policies = new Map<string, PolicyEntry>();
  readonly conntrack = new Map<string, CtValue>();
  readonly counters = new Map<number, { packets: number; bytes: number }>();
  readonly events: DropEvent[] = [];
  #index: PolicyIndex | undefined;
  #bucket: TokenBucket;
  /** The policy generation (pal_generation_v1): bumped by every endpoint, ipcache or policy write. */
  #generation = 0;
  readonly #fragments = new FragmentTable();

  constructor(events: DatapathConfig = { eventRate: 1_000_000, eventBurst: 1_000_000 }) {
    this.#bucket = new TokenBucket(events);
  }

  get endpoints(): ReadonlyMap<number, EndpointValue> {
    return this.#endpoints;
  }
  get generation(): number {
    return this.#generation;
  }

  setEndpoint(ifindex: number, e: EndpointValue): void {
    this.#endpoints.set(ifindex, e);
    this.#changed();
  }
  deleteEndpoint(ifindex: number): void {
    this.#endpoints.delete(ifindex);
    this.#changed();
  }
  setIpcache(e: IpcacheEntry): void {
    const prefix = canonicalCidr(e.prefix);
    if (!prefix) throw new TypeError(`not a CIDR prefix: ${e.prefix}`);
    this.#ipcache.set(prefix, { ...e, prefix });
    this.#changed();
  }
  deleteIpcache(prefix: string): void {
    this.#ipcache.delete(canonicalCidr(prefix) ?? prefix);
    this.#changed();
  }
  setPolicy(e: PolicyEntry): void {
    const c = canonicalPolicyEntry(e);
    this.#policies.set(policyKey(c), c);
    this.#changed();
  }
  deletePolicy(e: PolicyEntry): void {
    this.#policies.delete(policyKey(canonicalPolicyEntry(e)));
    this.#changed();
  }

  /** Like the agent's writes to the kernel maps: the next packet of every tracked flow is judged again. */
  #changed(): void {
    this.#index = undefined;
    this.#generation = (this.#generation + 1) >>> 0;
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
    let created = false;
    if (!ep) t.reason = REASONS.DROP_UNKNOWN_ENDPOINT;
    else {
      const rc = this.#fragments.track(p, parsed, nowNs);
      if (rc !== 0) t.reason = rc;
      else if (!this.#related(frame, ep, p, dir, t, nowNs)) created = this.#track(ep, p, dir, t, nowNs);
    }
    const frameRun = { ifindex, ep, p, dir, t, len: frame.length, nowNs };
    // The packet that creates a conntrack entry reports the new connection (sampled, rate-limited).
    if (created && this.#bucket.take(nowNs, true)) this.events.push(flowEvent("new_flow", frameRun));
    return this.#finish(frameRun);
  }

  /** Decides one parsed packet; true when it created a conntrack entry (a new connection). */
  #track(ep: EndpointValue, p: ParsedPacket, dir: number, t: VerdictTrace, nowNs: bigint): boolean {
    const key = ctKey(ep.endpointId, p, dir);
    const ct = this.conntrack.get(key);
    if (ct && nowNs < ct.expiresNs && !ctStartsConnection(ct, p, ct.origin === dir)) {
      if (ct.generation !== this.#generation && !this.#revalidate(ep, key, ct, t)) {
        this.conntrack.delete(key);
        return false;
      }
      ctAdvance(ct, p, ct.origin === dir);
      ct.expiresNs = nowNs + ctTimeoutNs(ct.state, p.protocol);
      Object.assign(t, {
        reason: REASONS.PASS_CONNTRACK,
        identity: ct.peerIdentity,
        policyId: ct.policyId,
        ruleIndex: ct.ruleIndex,
      });
      return false;
    }
    this.#decide(ep, p, dir, t);
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
        generation: this.#generation,
      });
      return true;
    }
    if (ct) this.conntrack.delete(key);
    return false;
  }

  /** pal_related: an ICMP error quoting a packet of a flow this endpoint tracks passes as RELATED. */
  #related(
    frame: Buffer,
    ep: EndpointValue,
    p: ParsedPacket,
    dir: number,
    t: VerdictTrace,
    nowNs: bigint,
  ): boolean {
    const q = icmpIsError(p) ? icmpQuoted(frame, p) : undefined;
    if (!q) return false;
    // The quoted packet crossed this endpoint the other way.
    const key = ctKey(ep.endpointId, q, dir ^ 1);
    const ct = this.conntrack.get(key);
    if (!ct || nowNs >= ct.expiresNs) return false;
    if (ct.generation !== this.#generation && !this.#revalidate(ep, key, ct, t)) {
      this.conntrack.delete(key);
      Object.assign(t, { reason: 0, identity: 0, policyId: 0, ruleIndex: 0 });
      return false;
    }
    Object.assign(t, {
      reason: REASONS.PASS_RELATED,
      identity: ct.peerIdentity,
      policyId: ct.policyId,
      ruleIndex: ct.ruleIndex,
    });
    return true;
  }

  /** pal_ct_revalidate: judges a tracked flow again in its original direction; false when denied. */
  #revalidate(ep: EndpointValue, key: string, ct: CtValue, t: VerdictTrace): boolean {
    this.#decide(ep, ctOriginPacket(key, ct.origin), ct.origin, t);
    if (t.reason < 0) return false;
    ct.policyId = t.policyId;
    ct.ruleIndex = t.ruleIndex;
    ct.peerIdentity = t.identity;
    ct.generation = this.#generation;
    return true;
  }

  /** pal_decide: the policy decision for a packet without conntrack state. */
  #decide(ep: EndpointValue, p: ParsedPacket, dir: number, t: VerdictTrace): void {
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
    if (reported && this.#bucket.take(nowNs)) this.events.push(flowEvent("drop", run));
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

/** pal_ct_origin_packet: the flow of a conntrack key in its original direction. */
function ctOriginPacket(key: string, origin: number): ParsedPacket {
  const [, family, protocol, local, remote, lp, rp] = key.split("/");
  const p = emptyPacket();
  p.family = family === "6" ? 6 : 4;
  p.protocol = Number(protocol);
  const l = Buffer.from(local!, "hex");
  const r = Buffer.from(remote!, "hex");
  const egress = origin === DIR_EGRESS;
  p.srcAddr = new Uint8Array(egress ? l : r);
  p.dstAddr = new Uint8Array(egress ? r : l);
  p.srcPort = Number(egress ? lp : rp);
  p.dstPort = Number(egress ? rp : lp);
  return p;
}

function flowEvent(kind: DropEvent["kind"], { ifindex, ep, p, dir, t, len, nowNs }: FrameRun): DropEvent {
  const addr = (a: Uint8Array) =>
    p.family === 0 ? "" : formatIp(p.family, a.subarray(0, p.family === 4 ? 4 : 16));
  return {
    kind,
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
