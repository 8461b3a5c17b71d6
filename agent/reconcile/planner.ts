// Owns planning (pure): desired NodeState vs the state read back from the datapath -> the ordered
// batch that turns one into the other without dropping traffic that both allow.
//
// Order, and why:
// 1. policy upserts: allow entries only widen what passes (values carry attribution only);
// 2. ipcache upserts, longest prefix first: an address never maps to a shorter new prefix while
//    its longer new prefix is still missing, so it is always classified as before or as after;
// 3. endpoint upserts (isolation, policy set) once the entries they point to exist;
// 4. attach new interfaces after their endpoint entry exists (else UNKNOWN_ENDPOINT drops);
// 5. detach interfaces that go before their endpoint entry is removed;
// 6. endpoint removals, ipcache removals (shortest prefix first), policy removals: narrowing last.
import { canonicalPolicy } from "../../bpf/lib/model/memory-datapath.ts";
import { canonicalCidr, parseCidr } from "../../wire/cidr.ts";
import {
  type EndpointEntry,
  endpointKey,
  type IpcacheEntry,
  ipcacheKey,
  type NodeState,
  type PolicyEntry,
  policyKey,
} from "../../wire/entries.ts";
import type { DatapathOp, DatapathState } from "../datapath/datapath.ts";

/** The trie's form of a policy entry (the model owns it): port bits past the prefix cleared. */
export function canonicalPolicyEntry(e: PolicyEntry): PolicyEntry {
  return canonicalPolicy({ ...e, verdict: "allow" });
}

/** Canonical prefix texts already computed: every apply sees the whole ipcache again. */
const canonicalPrefixes = new Map<string, string>();

function canonicalPrefix(text: string): string {
  let canonical = canonicalPrefixes.get(text);
  if (canonical === undefined) {
    if (canonicalPrefixes.size >= 1 << 20) canonicalPrefixes.clear();
    canonical = canonicalCidr(text) ?? text;
    canonicalPrefixes.set(text, canonical);
  }
  return canonical;
}

export function canonicalIpcacheEntry(e: IpcacheEntry): IpcacheEntry {
  return { prefix: canonicalPrefix(e.prefix), identity: e.identity, prefixIdentity: e.prefixIdentity };
}

function prefixLength(prefix: string): number {
  const slash = prefix.lastIndexOf("/");
  return slash < 0 ? (parseCidr(prefix)?.prefixLen ?? 0) : Number(prefix.slice(slash + 1));
}

function keyed<T>(entries: readonly T[], key: (e: T) => string, canonical: (e: T) => T): Map<string, T> {
  const out = new Map<string, T>();
  for (const e of entries) {
    const c = canonical(e);
    out.set(key(c), c);
  }
  return out;
}

/** Entries of `want` that are absent from `have` or differ in value; keys of `have` not in `want`. */
function diff<T>(
  want: Map<string, T>,
  have: Map<string, T>,
  same: (a: T, b: T) => boolean,
): { upsert: T[]; remove: T[] } {
  const upsert: T[] = [];
  const remove: T[] = [];
  for (const [k, e] of want) {
    const h = have.get(k);
    if (!h || !same(e, h)) upsert.push(e);
  }
  for (const [k, e] of have) if (!want.has(k)) remove.push(e);
  return { upsert, remove };
}

const sameIpcache = (a: IpcacheEntry, b: IpcacheEntry) =>
  a.identity === b.identity && a.prefixIdentity === b.prefixIdentity;
const samePolicy = (a: PolicyEntry, b: PolicyEntry) =>
  a.policyId === b.policyId && a.ruleIndex === b.ruleIndex;
const sameEndpoint = (a: EndpointEntry, b: EndpointEntry) =>
  a.endpointId === b.endpointId &&
  a.identity === b.identity &&
  a.policySetId === b.policySetId &&
  a.ingressIsolated === b.ingressIsolated &&
  a.egressIsolated === b.egressIsolated &&
  a.ingressPolicyId === b.ingressPolicyId &&
  a.egressPolicyId === b.egressPolicyId;
const identity = <T>(e: T) => e;

/** The ordered steps that turn `actual` into `desired`; empty when they already agree. */
export function planReconcile(desired: NodeState, actual: DatapathState): DatapathOp[] {
  const ipcache = diff(
    keyed(desired.ipcache, ipcacheKey, canonicalIpcacheEntry),
    keyed(actual.ipcache, ipcacheKey, canonicalIpcacheEntry),
    sameIpcache,
  );
  const policies = diff(
    keyed(desired.policies, policyKey, canonicalPolicyEntry),
    keyed(actual.policies, policyKey, canonicalPolicyEntry),
    samePolicy,
  );
  const wantEndpoints = keyed(desired.endpoints, endpointKey, identity);
  const endpoints = diff(wantEndpoints, keyed(actual.endpoints, endpointKey, identity), sameEndpoint);
  const attached = new Set(actual.attached);
  const attach = [...wantEndpoints.keys()].filter((i) => !attached.has(i));
  const detach = actual.attached.filter((i) => !wantEndpoints.has(i));

  const longestFirst = (a: IpcacheEntry, b: IpcacheEntry) => prefixLength(b.prefix) - prefixLength(a.prefix);
  const steps: DatapathOp[] = [
    { op: "upsert_policies", entries: policies.upsert },
    { op: "upsert_ipcache", entries: ipcache.upsert.sort(longestFirst) },
    { op: "upsert_endpoints", entries: endpoints.upsert },
    { op: "attach", interfaces: attach.sort() },
    { op: "detach", interfaces: detach.sort() },
    { op: "remove_endpoints", interfaces: endpoints.remove.map((e) => e.interface).sort() },
    {
      op: "remove_ipcache",
      prefixes: ipcache.remove.sort((a, b) => -longestFirst(a, b)).map((e) => e.prefix),
    },
    { op: "remove_policies", keys: policies.remove.map(policyKeyFields) },
  ];
  return steps.filter((s) => stepSize(s) > 0);
}

function policyKeyFields(e: PolicyEntry) {
  const { policySetId, direction, remoteIdentity, protocol, port, portPrefixLen } = e;
  return { policySetId, direction, remoteIdentity, protocol, port, portPrefixLen };
}

/** How many entries or interfaces a step touches. */
export function stepSize(s: DatapathOp): number {
  switch (s.op) {
    case "upsert_ipcache":
    case "upsert_policies":
    case "upsert_endpoints":
      return s.entries.length;
    case "remove_ipcache":
      return s.prefixes.length;
    case "remove_policies":
      return s.keys.length;
    case "remove_endpoints":
    case "attach":
    case "detach":
      return s.interfaces.length;
  }
}
