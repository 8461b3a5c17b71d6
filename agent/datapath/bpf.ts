// Owns the BPF datapath adapter: the agent's datapath interface over bpf/lib (pinned maps under
// --bpffs/maps, pinned tcx links under --bpffs/links, batch map operations and codecs).

import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { DatapathConfig } from "../../bpf/lib/codecs/events.ts";
import {
  applyEndpoints,
  applyIpcache,
  applyPolicies,
  BpfDatapath,
  type DatapathSizes,
  type EndpointBinding,
  ensureBpffsMounted,
  isBpfError,
  MAPS,
  probeFeatures,
  type RingBufferReader,
  readCounters,
  readEndpoints,
  readIpcache,
  readPolicies,
  subscribeDropEvents,
} from "../../bpf/lib/index.ts";
import type { EndpointEntry, MapSizes } from "../../wire/entries.ts";
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
import { hostInterfaces, type InterfaceTable } from "./interfaces.ts";

export interface BpfAgentDatapathOptions {
  /** bpffs directory this agent owns (e.g. /sys/fs/bpf/palisade/<node>). */
  bpffs: string;
  sizes?: Partial<DatapathSizes>;
  interfaces?: InterfaceTable;
  /** The compiled programs; defaults to bpf/build/policy.bpf.o. */
  objectPath?: string;
  /** Flow event settings (rate, burst, new-connection sampling); defaults in bpf/lib/datapath.ts. */
  events?: Partial<DatapathConfig>;
}

/** Maps bpf/lib errors to the datapath's codes, keeping the cause. */
function datapathError(operation: string, e: unknown): DatapathError {
  if (e instanceof DatapathError) return e;
  const message = `${operation}: ${e instanceof Error ? e.message : String(e)}`;
  if (isBpfError(e, "ERR_BPF_MAP_FULL")) return new DatapathError("datapath.map_full", message, e);
  if (isBpfError(e)) return new DatapathError("datapath.kernel", message, e);
  return new DatapathError("datapath.invalid_entry", message, e);
}

export class BpfAgentDatapath implements AgentDatapath {
  readonly kind = "bpf";
  readonly reused: boolean;
  readonly sizes: MapSizes;
  readonly features: Record<string, boolean>;
  readonly dp: BpfDatapath;
  readonly #bpffs: string;
  readonly #interfaces: InterfaceTable;
  /** Interface name -> the index it had when last resolved (see #lastIndex). */
  readonly #known = new Map<string, number>();
  readonly #listeners = new Set<(d: DropRecord[]) => void>();
  #reader: RingBufferReader | undefined;

  private constructor(dp: BpfDatapath, bpffs: string, reused: boolean, interfaces: InterfaceTable) {
    this.dp = dp;
    this.#bpffs = bpffs;
    this.reused = reused;
    this.#interfaces = interfaces;
    const m = dp.collection;
    this.sizes = {
      ipcache: m.map(MAPS.ipcache).maxEntries,
      endpoints: m.map(MAPS.endpoints).maxEntries,
      policies: m.map(MAPS.policy).maxEntries,
    };
    const f = probeFeatures();
    this.features = { tcx: f.tcx, batchOps: f.batchOps, lpmBatchOps: f.lpmBatchOps, ringbuf: f.ringBuffer };
  }

  /** Loads the programs, reusing maps (and their contents) and links pinned under `bpffs`. */
  static async open({
    bpffs,
    sizes,
    interfaces = hostInterfaces(),
    objectPath,
    events,
  }: BpfAgentDatapathOptions) {
    if (bpffs.startsWith("/sys/fs/bpf/")) ensureBpffsMounted("/sys/fs/bpf");
    const reused = existsSync(join(bpffs, "maps", MAPS.ipcache));
    try {
      const dp = await BpfDatapath.load({
        pinDir: bpffs,
        // Maps pinned by an earlier process keep their sizes (BpfDatapath.load reads them).
        ...(sizes ? { sizes } : {}),
        ...(objectPath ? { objectPath } : {}),
        ...(events ? { events } : {}),
      });
      return new BpfAgentDatapath(dp, bpffs, reused, interfaces);
    } catch (e) {
      throw datapathError(`load the BPF datapath into ${bpffs}`, e);
    }
  }

  async read(): Promise<DatapathState> {
    const c = this.dp.collection;
    const [ipcache, policies, bindings] = await Promise.all([
      readIpcache(c),
      readPolicies(c),
      readEndpoints(c),
    ]);
    const name = (i: number) => this.#interfaces.name(i) ?? orphanName(i);
    return {
      ipcache,
      policies,
      endpoints: bindings.map((b) => ({ interface: name(b.ifindex), ...b.entry })),
      attached: this.dp.pinnedInterfaces().map(name),
    };
  }

  async apply(ops: readonly DatapathOp[]): Promise<ApplyReport> {
    const pending = new Set<string>();
    const c = this.dp.collection;
    for (const step of ops) {
      try {
        switch (step.op) {
          case "upsert_ipcache":
            await applyIpcache(c, { upsert: step.entries });
            break;
          case "remove_ipcache":
            await applyIpcache(c, { remove: step.prefixes });
            break;
          case "upsert_policies":
            await applyPolicies(c, { upsert: step.entries });
            break;
          case "remove_policies":
            await applyPolicies(c, { remove: step.keys });
            break;
          case "upsert_endpoints":
            await applyEndpoints(c, { upsert: this.#bindings(step.entries, pending) });
            break;
          case "remove_endpoints":
            await applyEndpoints(c, { remove: this.#indexes(step.interfaces) });
            break;
          case "attach":
            for (const n of step.interfaces) if (!(await this.attach(n))) pending.add(n);
            break;
          case "detach":
            for (const n of step.interfaces) await this.detach(n);
            break;
        }
      } catch (e) {
        throw datapathError(step.op, e);
      }
    }
    // An interface that vanished (a pod's veth goes with its namespace, often before its endpoint's
    // removal arrives) leaves pinned links and an endpoint entry under its old index.
    if ([...pending].some((name) => this.#known.has(name))) await this.#sweepDead();
    return { pending: [...pending].sort() };
  }

  async attach(iface: string): Promise<boolean> {
    const ifindex = this.#resolve(iface);
    if (ifindex === undefined) return false;
    try {
      this.dp.attach(ifindex);
      return true;
    } catch (e) {
      if (isBpfError(e, "ERR_BPF_NO_DEVICE")) return false; // gone between lookup and attach
      throw datapathError(`attach to ${iface}`, e);
    }
  }

  async detach(iface: string): Promise<void> {
    const ifindex = this.#resolve(iface) ?? this.#lastIndex(iface);
    this.#known.delete(iface);
    if (ifindex === undefined) return this.#sweepDead();
    try {
      this.dp.detach(ifindex);
    } catch (e) {
      throw datapathError(`detach from ${iface}`, e);
    }
  }

  counters(): CounterSample[] {
    return readCounters(this.dp.collection).map((s) => ({
      direction: s.direction,
      verdict: s.verdict,
      reason: s.reasonName,
      packets: Number(s.packets),
      bytes: Number(s.bytes),
    }));
  }

  onEvents(listener: (events: DropRecord[]) => void): () => void {
    this.#listeners.add(listener);
    this.#reader ??= subscribeDropEvents(this.dp.collection, (events) => {
      const drops = events.map((e) => dropRecordOf(e, (i) => this.#interfaces.name(i)));
      for (const l of this.#listeners) l(drops);
    });
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#reader?.close();
    this.#reader = undefined;
    this.#listeners.clear();
    this.dp.close();
  }

  async destroy(): Promise<void> {
    for (const ifindex of this.dp.pinnedInterfaces()) this.dp.detach(ifindex);
    await this.close();
    rmSync(this.#bpffs, { recursive: true, force: true });
  }

  #resolve(iface: string): number | undefined {
    const ifindex = parseOrphanName(iface) ?? this.#interfaces.ifindex(iface);
    if (ifindex !== undefined) this.#known.set(iface, ifindex);
    return ifindex;
  }

  /**
   * The index an interface had when this process last saw it, for removing what was bound to an
   * interface that vanished first (a pod's veth goes with its network namespace, often before the
   * endpoint's removal arrives). Never an index another interface holds now.
   */
  #lastIndex(iface: string): number | undefined {
    const ifindex = this.#known.get(iface);
    if (ifindex === undefined) return undefined;
    const holder = this.#interfaces.name(ifindex);
    return holder === undefined || holder === iface ? ifindex : undefined;
  }

  #bindings(entries: readonly EndpointEntry[], pending: Set<string>): EndpointBinding[] {
    const out: EndpointBinding[] = [];
    for (const { interface: name, ...entry } of entries) {
      const ifindex = this.#resolve(name);
      if (ifindex === undefined) pending.add(name);
      else out.push({ ifindex, entry });
    }
    return out;
  }

  /**
   * Removes the pinned links and endpoint entries of interface indexes no interface holds any more:
   * they can carry no traffic, only leak (and an index the kernel hands out again must start clean).
   */
  async #sweepDead(): Promise<void> {
    // One pass over the host's interfaces, not one per pinned index.
    const live = new Set<number>();
    for (const [name, ifindex] of this.#known) {
      if (this.#interfaces.ifindex(name) === ifindex) live.add(ifindex);
    }
    const dead = (i: number) => !live.has(i) && this.#interfaces.name(i) === undefined;
    for (const ifindex of this.dp.pinnedInterfaces()) if (dead(ifindex)) this.dp.detach(ifindex);
    const stale = (await readEndpoints(this.dp.collection)).map((b) => b.ifindex).filter(dead);
    if (stale.length > 0) await applyEndpoints(this.dp.collection, { remove: stale });
  }

  #indexes(names: readonly string[]): number[] {
    return names
      .map((n) => this.#resolve(n) ?? this.#lastIndex(n))
      .filter((i): i is number => i !== undefined);
  }
}
