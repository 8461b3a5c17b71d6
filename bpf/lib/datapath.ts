// Owns the agent-facing datapath: load the policy programs with pinned maps, attach them to pod
// interfaces (pinned tcx links, so they stay attached across agent restarts), configure events.
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_MAP_SIZES } from "../../wire/entries.ts";
import { type DatapathConfig, encodeConfig } from "./codecs/events.ts";
import { type Collection, loadCollection } from "./collection.ts";
import { isBpfError } from "./errors.ts";
import { attachTc, Link } from "./link.ts";
import { BpfMap } from "./map.ts";
import { migratePinnedState } from "./migrate.ts";
import { native, POLICY_OBJECT } from "./native.ts";
import { loadCollectionSpec, withMaxEntries } from "./spec.ts";

/** Versioned names of the maps in bpf/include/*.h. */
export const MAPS = {
  endpoints: "pal_endpoints_v1",
  endpointsByIndex: "pal_endpoints_by_index_v1",
  ipcache: "pal_ipcache_v1",
  policy: "pal_policy_v1",
  conntrack: "pal_conntrack_v2",
  generation: "pal_generation_v1",
  fragments: "pal_fragments_v1",
  counters: "pal_counters_v1",
  events: "pal_events_v1",
  config: "pal_config_v2",
  eventBucket: "pal_event_bucket_v2",
} as const;

export const PROGRAMS = { fromPod: "from_pod", toPod: "to_pod" } as const;

/**
 * Links are pinned as `<linkDir>/<ifindex>-<program>`; a legacy tc filter, which cannot be pinned,
 * is recorded by its program pinned as `<ifindex>-<program>-legacy`, so that a restarted agent finds
 * legacy attachments as it finds tcx ones.
 */
const LEGACY_SUFFIX = "-legacy"; // bpffs refuses names with a dot

export interface DatapathSizes {
  endpoints: number;
  ipcache: number;
  policies: number;
  conntrack: number;
  /** Ring buffer bytes (a power of two, multiple of the page size). */
  eventsBytes: number;
}

export const DEFAULT_DATAPATH_SIZES: Readonly<DatapathSizes> = {
  ...DEFAULT_MAP_SIZES,
  conntrack: 262_144,
  eventsBytes: 256 * 1024,
};

/** Drops and new connections share the bucket: 1,000 events/s per CPU, bursts of 2,000. */
export const DEFAULT_EVENT_CONFIG: Readonly<DatapathConfig> = {
  eventRate: 1000,
  eventBurst: 2000,
  newFlowSample: 1,
};

const SIZED_MAPS: Record<keyof DatapathSizes, string> = {
  endpoints: MAPS.endpoints,
  ipcache: MAPS.ipcache,
  policies: MAPS.policy,
  conntrack: MAPS.conntrack,
  eventsBytes: MAPS.events,
};

/** The sizes of the maps pinned in `mapDir` (those pinned there). */
export function pinnedSizes(mapDir: string): Partial<DatapathSizes> {
  const out: Partial<DatapathSizes> = {};
  for (const [field, name] of Object.entries(SIZED_MAPS) as [keyof DatapathSizes, string][]) {
    const path = join(mapDir, name);
    if (!existsSync(path)) continue;
    const map = BpfMap.openPinned(path);
    out[field] = map.maxEntries;
    map.close();
  }
  return out;
}

export interface LoadDatapathOptions {
  /** bpffs directory owned by this agent (e.g. /sys/fs/bpf/palisade/<node>): maps in maps/, links in links/. */
  pinDir?: string;
  sizes?: Partial<DatapathSizes>;
  events?: Partial<DatapathConfig>;
  objectPath?: string;
}

export interface Attachment {
  ifindex: number;
  /** tc ingress of the host veth: the pod's egress policy. */
  fromPod: Link;
  /** tc egress of the host veth: the pod's ingress policy. */
  toPod: Link;
}

export class BpfDatapath {
  readonly collection: Collection;
  readonly linkDir: string | undefined;
  readonly #links = new Map<number, Attachment>();

  private constructor(collection: Collection, linkDir: string | undefined) {
    this.collection = collection;
    this.linkDir = linkDir;
  }

  /**
   * Loads the programs; maps already pinned under pinDir are reused with their contents, and with
   * their sizes, which win over `sizes` (libbpf refuses a pinned map whose max_entries differs;
   * changing sizes takes removing the pins first).
   */
  static async load({
    pinDir,
    sizes = {},
    events = {},
    objectPath = POLICY_OBJECT,
  }: LoadDatapathOptions = {}) {
    const s = { ...DEFAULT_DATAPATH_SIZES, ...sizes, ...(pinDir ? pinnedSizes(join(pinDir, "maps")) : {}) };
    const spec = withMaxEntries(loadCollectionSpec(objectPath), {
      [MAPS.endpoints]: s.endpoints,
      [MAPS.ipcache]: s.ipcache,
      [MAPS.policy]: s.policies,
      [MAPS.conntrack]: s.conntrack,
      [MAPS.events]: s.eventsBytes,
    });
    const collection = await loadCollection(spec, { pinDir: pinDir && join(pinDir, "maps") });
    if (pinDir) {
      try {
        await migratePinnedState(collection, join(pinDir, "maps"));
      } catch (e) {
        collection.close();
        throw e;
      }
    }
    let linkDir: string | undefined;
    if (pinDir) {
      linkDir = join(pinDir, "links");
      mkdirSync(linkDir, { recursive: true });
    }
    const dp = new BpfDatapath(collection, linkDir);
    dp.configureEvents({ ...DEFAULT_EVENT_CONFIG, ...events });
    return dp;
  }

  configureEvents(c: DatapathConfig): void {
    if (!Number.isInteger(c.eventRate) || c.eventRate < 0 || c.eventRate > 1_000_000) {
      throw Object.assign(new Error(`eventRate must be an integer in 0..1000000, got ${c.eventRate}`), {
        code: "ERR_BPF_ARGUMENT",
      });
    }
    const sample = c.newFlowSample ?? 1;
    if (!Number.isInteger(sample) || sample < 0 || sample > 0xffff_ffff) {
      throw Object.assign(new Error(`newFlowSample must be an integer in 0..4294967295, got ${sample}`), {
        code: "ERR_BPF_ARGUMENT",
      });
    }
    this.collection.map(MAPS.config).update(Buffer.alloc(4), encodeConfig(c));
  }

  /** Interface index of a name (or the number itself). */
  static ifindex(iface: string | number): number {
    return typeof iface === "number" ? iface : native().ifIndex(iface);
  }

  /**
   * Attaches from_pod/to_pod to an interface. With a pinDir the links are pinned, and links pinned
   * by an earlier process are taken over and switched to this process's programs without a gap.
   */
  attach(iface: string | number, { mode = "auto" }: { mode?: "auto" | "tcx" | "legacy" } = {}): Attachment {
    const ifindex = BpfDatapath.ifindex(iface);
    const existing = this.#links.get(ifindex);
    if (existing) return existing;
    const fromPod = this.#attachOne(ifindex, "ingress", PROGRAMS.fromPod, mode);
    const toPod = this.#attachOne(ifindex, "egress", PROGRAMS.toPod, mode);
    const a = { ifindex, fromPod, toPod };
    this.#links.set(ifindex, a);
    return a;
  }

  #attachOne(
    ifindex: number,
    hook: "ingress" | "egress",
    name: string,
    mode: "auto" | "tcx" | "legacy",
  ): Link {
    const program = this.collection.program(name);
    const path = this.linkDir && join(this.linkDir, `${ifindex}-${name}`);
    if (path && existsSync(path)) {
      const old = Link.openPinned(path);
      if (old.ifindex === ifindex) {
        old.update(program);
        return old;
      }
      old.detach(); // defunct: its interface went away, and the index was reused
    }
    const legacyPath = path && `${path}${LEGACY_SUFFIX}`;
    if (legacyPath && existsSync(legacyPath)) {
      const old = Link.openPinnedLegacy(legacyPath, ifindex, hook);
      // Our filter is still there (replaced in place: no gap) unless the interface went away.
      if (old.programId() !== 0 && mode !== "tcx") {
        old.update(program);
        return old;
      }
      if (old.programId() !== 0) old.detach();
      else old.unpin();
    }
    const link = attachTc(program, { ifindex, hook, mode });
    if (path && legacyPath) link.pin(link.kind === "tcx" ? path : legacyPath);
    return link;
  }

  /** Removes the programs from an interface (pinned links included). A vanished interface is not an error. */
  detach(iface: string | number): void {
    const ifindex = BpfDatapath.ifindex(iface);
    const a = this.#links.get(ifindex) ?? this.#openPinned(ifindex);
    this.#links.delete(ifindex);
    for (const link of a ? [a.fromPod, a.toPod] : []) {
      try {
        link.detach();
      } catch (e) {
        if (!isBpfError(e, "ERR_BPF_NO_DEVICE") && !isBpfError(e, "ERR_BPF_NOT_FOUND")) throw e;
      }
    }
  }

  #openPinned(ifindex: number): Attachment | undefined {
    if (!this.linkDir) return undefined;
    const dir = this.linkDir;
    const open = (name: string, hook: "ingress" | "egress"): Link | undefined => {
      const path = join(dir, `${ifindex}-${name}`);
      if (existsSync(path)) return Link.openPinned(path);
      if (existsSync(`${path}${LEGACY_SUFFIX}`))
        return Link.openPinnedLegacy(`${path}${LEGACY_SUFFIX}`, ifindex, hook);
      return undefined;
    };
    const fromPod = open(PROGRAMS.fromPod, "ingress");
    const toPod = open(PROGRAMS.toPod, "egress");
    if (!fromPod || !toPod) {
      fromPod?.close();
      toPod?.close();
      return undefined;
    }
    return { ifindex, fromPod, toPod };
  }

  /** Interface indexes with pinned links (attached by this or an earlier process). */
  pinnedInterfaces(): number[] {
    if (!this.linkDir) return [...this.#links.keys()];
    const set = new Set(readdirSync(this.linkDir).map((f) => Number(f.split("-")[0])));
    return [...set].filter(Number.isInteger).sort((a, b) => a - b);
  }

  /** Releases fds; pinned maps and links stay, so traffic keeps being enforced. */
  close(): void {
    for (const a of this.#links.values()) {
      a.fromPod.close();
      a.toPod.close();
    }
    this.#links.clear();
    this.collection.close();
  }
}
