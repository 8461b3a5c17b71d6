// Owns the harness interface the shared verdict cases (verdict.case.ts) run against: the real
// programs through BPF_PROG_TEST_RUN (bpf-harness.ts) or the in-memory model (model-harness.ts).
import type { IpcacheEntry, PolicyEntry } from "../../../wire/entries.ts";
import type { EndpointValue } from "../codecs/endpoints.ts";
import type { DropEvent } from "../codecs/events.ts";
import type { Hook, ModelVerdict } from "../model/memory-datapath.ts";

/** Three endpoint interfaces the cases use; harnesses map them to interface indexes. */
export type Slot = "A" | "B" | "C";
export const SLOTS: readonly Slot[] = ["A", "B", "C"];

export interface VerdictHarness {
  readonly name: string;
  ifindex(slot: Slot): number;
  setEndpoint(slot: Slot, value: EndpointValue): Promise<void>;
  deleteEndpoint(slot: Slot): Promise<void>;
  setIpcache(entries: IpcacheEntry[]): Promise<void>;
  deleteIpcache(prefixes: string[]): Promise<void>;
  setPolicies(entries: PolicyEntry[]): Promise<void>;
  deletePolicies(entries: PolicyEntry[]): Promise<void>;
  run(hook: Hook, slot: Slot, frame: Buffer): Promise<ModelVerdict>;
  /** Packets and bytes counted for (direction 0 ingress / 1 egress, reason). */
  counter(direction: number, reason: number): Promise<{ packets: number; bytes: number }>;
  /** Drop events emitted since the last call. */
  takeEvents(): Promise<DropEvent[]>;
  /** Conntrack entries as sorted "key state=.. flags=.. origin=.. peer=.. policy=../rule" lines (no lifetimes). */
  conntrack(): Promise<string[]>;
  /** Empties every map (endpoints, ipcache, policy, conntrack, counters) and the event queue. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export type HarnessFactory = () => Promise<VerdictHarness>;

/** Text of a conntrack key: the same form as the model's keys (model/memory-datapath.ts ctKey). */
export function conntrackKeyText(k: {
  endpointId: number;
  family: number;
  protocol: number;
  localAddr: Uint8Array;
  remoteAddr: Uint8Array;
  localPort: number;
  remotePort: number;
}): string {
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  return `${k.endpointId}/${k.family}/${k.protocol}/${hex(k.localAddr)}/${hex(k.remoteAddr)}/${k.localPort}/${k.remotePort}`;
}

/** Text of a conntrack value without its lifetime (clocks differ between harnesses). */
export function conntrackValueText(v: {
  state: number;
  flags: number;
  origin: number;
  peerIdentity: number;
  policyId: number;
  ruleIndex: number;
}): string {
  return `state=${v.state} flags=${v.flags} origin=${v.origin} peer=${v.peerIdentity} policy=${v.policyId}/${v.ruleIndex}`;
}
