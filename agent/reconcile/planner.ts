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
import { parseCidr } from "../../wire/cidr.ts";
import { endpointKey, type IpcacheEntry, type NodeState, policyKeyFields } from "../../wire/entries.ts";
import { diffNodeStates } from "../../wire/map-delta.ts";
import type { DatapathOp, DatapathState } from "../datapath/datapath.ts";

function prefixLength(prefix: string): number {
  const slash = prefix.lastIndexOf("/");
  return slash < 0 ? (parseCidr(prefix)?.prefixLen ?? 0) : Number(prefix.slice(slash + 1));
}

/** The ordered steps that turn `actual` into `desired`; empty when they already agree. */
export function planReconcile(desired: NodeState, actual: DatapathState): DatapathOp[] {
  const { ipcache, policies, endpoints } = diffNodeStates(actual, desired);
  const wanted = new Set(desired.endpoints.map(endpointKey));
  const attached = new Set(actual.attached);
  const attach = [...wanted].filter((i) => !attached.has(i));
  const detach = actual.attached.filter((i) => !wanted.has(i));

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
