// Owns loading the native addon (bpf/addon, built by `npm install`) and its typed surface.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface NativeMapInfo {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}

export interface NativeTestRun {
  retval: number;
  durationNs: number;
  data: Buffer;
  ctx: Buffer | null;
}

export interface NativeBatchResult {
  count: number;
  batched: boolean;
  missing?: number;
}

/** The flat functions of palisade_bpf.node; errors carry `code` (ERR_BPF_*), `errno`, `operation`. */
export interface Native {
  objectOpen(path: string): number;
  objectClose(handle: number): void;
  objectMaps(handle: number): NativeMapInfo[];
  objectPrograms(handle: number): { name: string; section: string; type: number }[];
  objectSetMaxEntries(handle: number, map: string, maxEntries: number): void;
  objectSetPinPath(handle: number, map: string, path: string): void;
  objectLoad(handle: number): Promise<void>;
  objectMapFd(handle: number, map: string): number;
  objectProgFd(handle: number, program: string): number;
  mapInfo(fd: number): NativeMapInfo & { id: number };
  mapLookup(fd: number, key: Buffer, value: Buffer): boolean;
  mapUpdate(fd: number, key: Buffer, value: Buffer, flags: number): void;
  mapDelete(fd: number, key: Buffer): boolean;
  mapNextKey(fd: number, key: Buffer | null, next: Buffer): boolean;
  mapCreate(type: number, keySize: number, valueSize: number, maxEntries: number, flags: number): number;
  mapUpdateBatch(
    fd: number,
    keys: Buffer,
    keySize: number,
    values: Buffer,
    valueSize: number,
    count: number,
    flags: number,
  ): Promise<NativeBatchResult>;
  mapDeleteBatch(fd: number, keys: Buffer, keySize: number, count: number): Promise<NativeBatchResult>;
  mapDump(
    fd: number,
    keySize: number,
    valueStride: number,
  ): Promise<{ count: number; keys: Buffer; values: Buffer }>;
  objPin(fd: number, path: string): void;
  objGet(path: string): number;
  closeFd(fd: number): void;
  progTestRun(
    fd: number,
    data: Buffer,
    ctx: Buffer | null,
    repeat: number,
    dataOutSize: number,
  ): NativeTestRun;
  /** runTimeNs/runCount: in-situ statistics, counted only while run-time stats are on (enableRunStats). */
  progInfo(fd: number): {
    id: number;
    type: number;
    name: string;
    runTimeNs: bigint;
    runCount: bigint;
    /** Size after the verifier (instructions x 8) and as JIT-compiled code, in bytes. */
    xlatedBytes: number;
    jitedBytes: number;
  };
  /** BPF_ENABLE_STATS(BPF_STATS_RUN_TIME): run-time stats stay on while the returned fd is open. */
  enableRunStats(): number;
  linkCreateTcx(progFd: number, ifindex: number, ingress: boolean): number;
  linkDetach(fd: number): void;
  linkUpdate(linkFd: number, progFd: number): void;
  linkInfo(fd: number): { id: number; type: number; progId: number; ifindex: number; attachType: number };
  tcxQuery(ifindex: number, ingress: boolean): number[];
  tcAttach(
    ifindex: number,
    ingress: boolean,
    progFd: number,
    handle: number,
    priority: number,
  ): { handle: number; priority: number };
  tcDetach(ifindex: number, ingress: boolean, handle: number, priority: number): boolean;
  tcQuery(ifindex: number, ingress: boolean, handle: number, priority: number): number;
  ringbufOpen(mapFd: number, callback: (records: Buffer[]) => void): number;
  ringbufConsume(id: number): number;
  ringbufClose(id: number): void;
  ringbufRef(id: number, ref: boolean): void;
  probeTcx(): boolean;
  probeBatch(mapType?: number): boolean;
  probeRingbuf(): boolean;
  monotonicNs(): bigint;
  possibleCpus(): number;
  ifIndex(name: string): number;
}

const here = dirname(fileURLToPath(import.meta.url));
export const BPF_DIR = dirname(here);
export const ADDON_PATH = join(BPF_DIR, "addon", "build", "Release", "palisade_bpf.node");
export const BUILD_DIR = join(BPF_DIR, "build");
/** The compiled policy programs (bpf/prog/policy.bpf.c). */
export const POLICY_OBJECT = join(BUILD_DIR, "policy.bpf.o");
/** The policy programs built so that each BPF_PROG_TEST_RUN repetition is a new flow (benchmark only). */
export const POLICY_BENCH_OBJECT = join(BUILD_DIR, "policy_bench.bpf.o");
/** Benchmark build: every packet of a tracked flow is judged again (a policy generation change). */
export const POLICY_REVALIDATE_OBJECT = join(BUILD_DIR, "policy_revalidate.bpf.o");
/** Test object: the maps of the previous layout (bpf/prog/previous_layout.bpf.c). */
export const PREVIOUS_LAYOUT_OBJECT = join(BUILD_DIR, "previous_layout.bpf.o");
/** An empty tc program, the floor for benchmarks (bpf/prog/empty.bpf.c). */
export const EMPTY_OBJECT = join(BUILD_DIR, "empty.bpf.o");

let cached: Native | undefined;

/** The addon, loaded once; throws ERR_BPF_ADDON_MISSING when `npm install` has not built it. */
export function native(): Native {
  if (cached) return cached;
  if (!existsSync(ADDON_PATH)) {
    const e = new Error(
      `the BPF addon is not built: ${ADDON_PATH} is missing (run npm install or npm run build:bpf)`,
    );
    Object.assign(e, { code: "ERR_BPF_ADDON_MISSING" });
    throw e;
  }
  cached = createRequire(import.meta.url)(ADDON_PATH) as Native;
  return cached;
}
