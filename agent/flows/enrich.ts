// Owns turning one datapath flow event (numbers) into the Flow record of wire/flows.ts (names):
// which side is the endpoint, who the peer is, the verdict, reason and deciding policy. Pure.

import { TIER_RULE_BITS } from "../../bpf/lib/codecs/policy.ts";
import { FIRST_LABEL_IDENTITY, FIRST_PREFIX_IDENTITY, IDENTITY_HOST } from "../../wire/entries.ts";
import { type Flow, type FlowPeer, type FlowPolicy, protocolName } from "../../wire/flows.ts";
import type { DropRecord } from "../datapath/datapath.ts";
import type { NameBook } from "./name-book.ts";

const PORTED = new Set([6, 17, 132]);

/** "DROP_POLICY_DENIED" -> "POLICY_DENIED"; "PASS_NOT_ISOLATED" -> "NOT_ISOLATED". */
export function shortReason(name: string): string {
  return name.replace(/^(PASS|DROP)_/, "");
}

function reserved(identity: number): FlowPeer["identity"] {
  if (identity === IDENTITY_HOST) return "host";
  if (identity >= FIRST_PREFIX_IDENTITY) return "cidr";
  return "world";
}

type PeerNames = Omit<FlowPeer, "address" | "port">;

function peer(address: string, port: number | undefined, names: PeerNames | undefined): FlowPeer {
  return { address, ...(port !== undefined ? { port } : {}), ...names };
}

/** The names of the remote side: its endpoint by address, else its identity's labels, else reserved. */
function remoteNames(book: NameBook, address: string, identity: number): PeerNames {
  const ep = book.endpointAt(address);
  if (ep) return { namespace: ep.namespace, pod: ep.name, labels: ep.labels };
  const holder =
    identity >= FIRST_LABEL_IDENTITY && identity < FIRST_PREFIX_IDENTITY && book.withIdentity(identity);
  if (holder) return { namespace: holder.namespace, labels: holder.labels };
  return { identity: reserved(identity) };
}

/** Reasons whose attribution is a policy's rule (an audit pass: the rule that would have dropped it). */
const DECIDED_BY_A_RULE = new Set([
  "PASS_POLICY",
  "PASS_CONNTRACK",
  "PASS_RELATED",
  "PASS_ADMIN",
  "PASS_BASELINE",
  "PASS_AUDIT",
  "DROP_ADMIN_DENIED",
  "DROP_BASELINE_DENIED",
]);
const TIER_RULE_MASK = (1 << TIER_RULE_BITS) - 1;

function policyOf(e: DropRecord, book: NameBook): FlowPolicy | null {
  if (DECIDED_BY_A_RULE.has(e.reason)) {
    if (e.policyId === 0) return null;
    const p = book.policy(e.policyId);
    if (!p) return { kind: "Unknown", rule: e.ruleIndex };
    // A cluster policy's entries carry its priority above the rule's index (bpf/lib/codecs/policy.ts).
    if (p.kind === "ClusterNetworkPolicy")
      return { kind: p.kind, name: p.name, rule: e.ruleIndex & TIER_RULE_MASK };
    return { kind: "NetworkPolicy", namespace: p.namespace, name: p.name, rule: e.ruleIndex };
  }
  if (e.reason === "DROP_POLICY_DENIED") {
    const p = e.policyId === 0 ? undefined : book.policy(e.policyId);
    return p
      ? { kind: "DefaultDeny", isolatedBy: { kind: p.kind, namespace: p.namespace, name: p.name } }
      : { kind: "DefaultDeny" };
  }
  return null;
}

/** The Flow record of one event; `timeMs` is the node's wall clock at the event. */
export function flowOf(e: DropRecord, book: NameBook, node: string, timeMs: number): Flow {
  const ported = PORTED.has(e.protocol);
  const local = book.endpoint(e.endpointId);
  const localNames: PeerNames | undefined = local
    ? { namespace: local.namespace, pod: local.name, labels: local.labels }
    : undefined;
  const egress = e.direction === "egress";
  const [srcNames, dstNames] = egress
    ? [localNames, remoteNames(book, e.dst, e.peerIdentity)]
    : [remoteNames(book, e.src, e.peerIdentity), localNames];
  return {
    time: new Date(timeMs).toISOString(),
    node,
    endpoint: local ? { namespace: local.namespace, name: local.name } : null,
    direction: e.direction,
    verdict: e.kind === "new_flow" ? "allowed" : e.verdict === "audit" ? "audit" : "dropped",
    reason: shortReason(e.reason),
    protocol: protocolName(e.protocol),
    source: peer(e.src, ported ? e.srcPort : undefined, srcNames),
    destination: peer(e.dst, ported ? e.dstPort : undefined, dstNames),
    policy: policyOf(e, book),
    interface: e.interface,
    event: e.kind === "drop" ? "drop" : "new_connection",
  };
}
