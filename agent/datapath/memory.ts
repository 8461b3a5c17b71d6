// Owns the in-memory datapath (`--datapath memory`, simulations): the same maps as the kernel,
// keyed the same way (endpoints by ifindex), "pinned" per process under a key so that an agent
// restarted in the same process finds its state, as a real agent finds its pinned maps.

import { counterSlot } from "../../bpf/lib/codecs/counters.ts";
import { reasonName } from "../../bpf/lib/codecs/reasons.ts";
import { MemoryDatapath } from "../../bpf/lib/model/memory-datapath.ts";
import { canonicalCidr } from "../../wire/cidr.ts";
import {
  canonicalPolicyEntry,
  DEFAULT_MAP_SIZES,
  type EndpointEntry,
  type IpcacheEntry,
  type MapSizes,
  type PolicyEntry,
  policyKey,
} from "../../wire/entries.ts";
import {
  type AgentDatapath,
  type ApplyReport,
  type CounterSample,
  DatapathError,
  type DatapathOp,
  type DatapathState,
  type DropRecord,
  dropRecordOf,
  orphanName,
  parseOrphanName,
} from "./datapath.ts";
import { type InterfaceTable, VirtualInterfaces } from "./interfaces.ts";

/** The maps of one memory datapath; the packet model sees every write. */
interface MemoryMaps {
  ipcache: Map<string, IpcacheEntry>;
  policies: Map<string, PolicyEntry>;
  endpoints: Map<number, Omit<EndpointEntry, "interface">>;
  attached: Set<number>;
  model: MemoryDatapath;
  /** Sizes are fixed when the maps are created, as the kernel's max_entries are. */
  sizes: MapSizes;
}

const pinned = new Map<string, MemoryMaps>();

export interface MemoryDatapathOptions {
  /** Process-wide key (the agent's --bpffs): state under it survives close() and a new open(). */
  pinKey?: string;
  sizes?: Partial<MapSizes>;
  /** Defaults to one process-wide table where every name exists (like the host's interfaces). */
  interfaces?: InterfaceTable;
}

const sharedInterfaces = new VirtualInterfaces();

export class MemoryAgentDatapath implements AgentDatapath {
  readonly kind = "memory";
  readonly reused: boolean;
  readonly sizes: MapSizes;
  readonly features: Record<string, boolean> = {};
  readonly interfaces: InterfaceTable;
  readonly #maps: MemoryMaps;
  readonly #pinKey: string | undefined;
  readonly #listeners = new Set<(d: DropRecord[]) => void>();
  #closed = false;

  constructor({ pinKey, sizes = {}, interfaces = sharedInterfaces }: MemoryDatapathOptions = {}) {
    this.interfaces = interfaces;
    this.#pinKey = pinKey;
    const existing = pinKey === undefined ? undefined : pinned.get(pinKey);
    this.reused = existing !== undefined;
    this.#maps = existing ?? {
      ipcache: new Map(),
      policies: new Map(),
      endpoints: new Map(),
      attached: new Set(),
      model: new MemoryDatapath(),
      sizes: { ...DEFAULT_MAP_SIZES, ...sizes },
    };
    this.sizes = this.#maps.sizes;
    if (pinKey !== undefined) pinned.set(pinKey, this.#maps);
  }

  /** The packet model over this datapath's entries, for simulations and tests. */
  get model(): MemoryDatapath {
    return this.#maps.model;
  }

  /** True when the programs would run on this interface index. */
  isAttached(ifindex: number): boolean {
    return this.#maps.attached.has(ifindex);
  }

  async read(): Promise<DatapathState> {
    this.#open();
    const m = this.#maps;
    const name = (i: number) => this.interfaces.name(i) ?? orphanName(i);
    return {
      ipcache: [...m.ipcache.values()].map((e) => ({ ...e })),
      policies: [...m.policies.values()].map((e) => ({ ...e })),
      endpoints: [...m.endpoints].map(([i, e]) => ({ interface: name(i), ...e })),
      attached: [...m.attached].map(name),
    };
  }

  async apply(ops: readonly DatapathOp[]): Promise<ApplyReport> {
    this.#open();
    const pending = new Set<string>();
    for (const step of ops) {
      switch (step.op) {
        case "upsert_ipcache":
          for (const e of step.entries) this.#upsertIpcache(e);
          break;
        case "remove_ipcache":
          for (const p of step.prefixes) this.#removeIpcache(p);
          break;
        case "upsert_policies":
          for (const e of step.entries) this.#upsertPolicy(e);
          break;
        case "remove_policies":
          for (const k of step.keys) this.#removePolicy(k as PolicyEntry);
          break;
        case "upsert_endpoints":
          for (const e of step.entries) if (!this.#upsertEndpoint(e)) pending.add(e.interface);
          break;
        case "remove_endpoints":
          for (const n of step.interfaces) this.#removeEndpoint(n);
          break;
        case "attach":
          for (const n of step.interfaces) if (!(await this.attach(n))) pending.add(n);
          break;
        case "detach":
          for (const n of step.interfaces) await this.detach(n);
          break;
      }
    }
    return { pending: [...pending].sort() };
  }

  async attach(iface: string): Promise<boolean> {
    this.#open();
    const i = this.#resolve(iface);
    if (i === undefined) return false;
    this.#maps.attached.add(i);
    return true;
  }

  async detach(iface: string): Promise<void> {
    this.#open();
    const i = this.#resolve(iface);
    if (i !== undefined) this.#maps.attached.delete(i);
  }

  counters(): CounterSample[] {
    const out: CounterSample[] = [];
    for (const [index, c] of this.#maps.model.counters) {
      const { direction, reason } = counterSlot(index);
      out.push({
        direction: direction === 0 ? "ingress" : "egress",
        verdict: reason > 0 ? "pass" : "drop",
        reason: reasonName(reason),
        packets: c.packets,
        bytes: c.bytes,
      });
    }
    return out;
  }

  onEvents(listener: (events: DropRecord[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Delivers the model's queued flow events to the listeners (the kernel's ring buffer does this itself). */
  flushEvents(): void {
    const events = this.#maps.model.events.splice(0);
    if (events.length === 0) return;
    const drops = events.map((e) => dropRecordOf(e, (i) => this.interfaces.name(i)));
    for (const l of this.#listeners) l(drops);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
  }

  async destroy(): Promise<void> {
    const m = this.#maps;
    m.ipcache.clear();
    m.policies.clear();
    m.endpoints.clear();
    m.attached.clear();
    m.model.conntrack.clear();
    m.model.counters.clear();
    m.model = new MemoryDatapath();
    if (this.#pinKey !== undefined) pinned.delete(this.#pinKey);
    await this.close();
  }

  #open(): void {
    if (this.#closed) throw new DatapathError("datapath.closed", "the memory datapath is closed");
  }

  #resolve(iface: string): number | undefined {
    return parseOrphanName(iface) ?? this.interfaces.ifindex(iface);
  }

  #room(map: "ipcache" | "policies" | "endpoints", has: boolean): void {
    if (!has && this.#maps[map].size >= this.sizes[map]) {
      throw new DatapathError("datapath.map_full", `${map} map is full (${this.sizes[map]} entries)`);
    }
  }

  #upsertIpcache(e: IpcacheEntry): void {
    const prefix = canonicalCidr(e.prefix);
    if (!prefix)
      throw new DatapathError("datapath.invalid_entry", `ipcache prefix ${e.prefix} is not a CIDR`);
    this.#room("ipcache", this.#maps.ipcache.has(prefix));
    const entry = { prefix, identity: e.identity, prefixIdentity: e.prefixIdentity };
    this.#maps.ipcache.set(prefix, entry);
    this.#maps.model.setIpcache(entry);
  }

  #removeIpcache(text: string): void {
    const prefix = canonicalCidr(text) ?? text;
    this.#maps.ipcache.delete(prefix);
    this.#maps.model.deleteIpcache(prefix);
  }

  #upsertPolicy(e: PolicyEntry): void {
    const c = canonicalPolicyEntry(e);
    const key = policyKey(c);
    this.#room("policies", this.#maps.policies.has(key));
    this.#maps.policies.set(key, c);
    this.#maps.model.setPolicy(c);
  }

  #removePolicy(k: PolicyEntry): void {
    const c = canonicalPolicyEntry(k);
    this.#maps.policies.delete(policyKey(c));
    this.#maps.model.deletePolicy(c);
  }

  #upsertEndpoint(e: EndpointEntry): boolean {
    const i = this.#resolve(e.interface);
    if (i === undefined) return false;
    this.#room("endpoints", this.#maps.endpoints.has(i));
    const value = {
      endpointId: e.endpointId,
      identity: e.identity,
      policySetId: e.policySetId,
      ingressIsolated: e.ingressIsolated,
      egressIsolated: e.egressIsolated,
      ingressPolicyId: e.ingressPolicyId,
      egressPolicyId: e.egressPolicyId,
    };
    this.#maps.endpoints.set(i, value);
    this.#maps.model.setEndpoint(i, value);
    return true;
  }

  #removeEndpoint(name: string): void {
    const i = this.#resolve(name);
    if (i === undefined) return;
    this.#maps.endpoints.delete(i);
    this.#maps.model.deleteEndpoint(i);
  }
}
