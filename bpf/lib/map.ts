// Owns BpfMap: one kernel map by fd, with element, batch, iteration and per-CPU operations.
import { bpfError } from "./errors.ts";
import { native } from "./native.ts";

export const MAP_TYPE = {
  HASH: 1,
  ARRAY: 2,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  LPM_TRIE: 11,
  RINGBUF: 27,
} as const;

/** BPF_ANY, BPF_NOEXIST, BPF_EXIST */
export const UPDATE = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;

const PER_CPU_TYPES = new Set<number>([
  MAP_TYPE.PERCPU_HASH,
  MAP_TYPE.PERCPU_ARRAY,
  MAP_TYPE.LRU_PERCPU_HASH,
]);

export interface MapEntry {
  key: Buffer;
  value: Buffer;
}

export class BpfMap {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  #fd: number;
  readonly #owned: boolean;

  /** Wraps a map fd; `owned` fds are closed by close() (fds of a Collection belong to it). */
  constructor(fd: number, owned: boolean) {
    const info = native().mapInfo(fd);
    this.#fd = fd;
    this.#owned = owned;
    this.name = info.name;
    this.type = info.type;
    this.keySize = info.keySize;
    this.valueSize = info.valueSize;
    this.maxEntries = info.maxEntries;
  }

  /** Opens a map pinned in bpffs. */
  static openPinned(path: string): BpfMap {
    return new BpfMap(native().objGet(path), true);
  }

  get fd(): number {
    if (this.#fd < 0) throw bpfError("ERR_BPF_CLOSED", `map ${this.name} is closed`);
    return this.#fd;
  }

  get perCpu(): boolean {
    return PER_CPU_TYPES.has(this.type);
  }

  /** Bytes of one value as the syscalls see it: per-CPU maps hold one 8-aligned slot per CPU. */
  get valueStride(): number {
    return this.perCpu ? Math.ceil(this.valueSize / 8) * 8 * native().possibleCpus() : this.valueSize;
  }

  lookup(key: Buffer): Buffer | undefined {
    this.#checkKey(key);
    const value = Buffer.alloc(this.valueStride);
    return native().mapLookup(this.fd, key, value) ? value : undefined;
  }

  /** Per-CPU maps: one value (valueSize bytes) per possible CPU. */
  lookupPerCpu(key: Buffer): Buffer[] | undefined {
    const all = this.lookup(key);
    if (!all) return undefined;
    const slot = Math.ceil(this.valueSize / 8) * 8;
    const out: Buffer[] = [];
    for (let i = 0; i < all.length; i += slot) out.push(all.subarray(i, i + this.valueSize));
    return out;
  }

  update(key: Buffer, value: Buffer, flags: number = UPDATE.ANY): void {
    this.#checkKey(key);
    if (value.length !== this.valueStride) {
      throw bpfError(
        "ERR_BPF_ARGUMENT",
        `value for map ${this.name} must be ${this.valueStride} bytes, got ${value.length}`,
      );
    }
    native().mapUpdate(this.fd, key, value, flags);
  }

  /** False when the key was absent. */
  delete(key: Buffer): boolean {
    this.#checkKey(key);
    return native().mapDelete(this.fd, key);
  }

  *keys(): Generator<Buffer> {
    let prev: Buffer | null = null;
    for (;;) {
      const next = Buffer.alloc(this.keySize);
      if (!native().mapNextKey(this.fd, prev, next)) return;
      yield next;
      prev = next;
    }
  }

  /** Every entry, read on a worker thread. */
  async dump(): Promise<MapEntry[]> {
    const stride = this.valueStride;
    const r = await native().mapDump(this.fd, this.keySize, stride);
    const out: MapEntry[] = [];
    for (let i = 0; i < r.count; i++) {
      out.push({
        key: r.keys.subarray(i * this.keySize, (i + 1) * this.keySize),
        value: r.values.subarray(i * stride, (i + 1) * stride),
      });
    }
    return out;
  }

  /** Updates many entries with BPF_MAP_UPDATE_BATCH (one syscall per element where unsupported). */
  async updateBatch(entries: readonly MapEntry[], flags: number = UPDATE.ANY) {
    if (entries.length === 0) return { count: 0, batched: false };
    const stride = this.valueStride;
    const keys = Buffer.alloc(entries.length * this.keySize);
    const values = Buffer.alloc(entries.length * stride);
    entries.forEach((e, i) => {
      this.#checkKey(e.key);
      e.key.copy(keys, i * this.keySize);
      e.value.copy(values, i * stride);
    });
    return native().mapUpdateBatch(this.fd, keys, this.keySize, values, stride, entries.length, flags);
  }

  /** updateBatch over keys and values already packed back to back (count * keySize, count * valueStride). */
  async updateBatchPacked(keys: Buffer, values: Buffer, count: number, flags: number = UPDATE.ANY) {
    if (count === 0) return { count: 0, batched: false };
    return native().mapUpdateBatch(this.fd, keys, this.keySize, values, this.valueStride, count, flags);
  }

  /** deleteBatch over keys packed back to back. */
  async deleteBatchPacked(keys: Buffer, count: number) {
    if (count === 0) return { count: 0, batched: false, missing: 0 };
    return native().mapDeleteBatch(this.fd, keys, this.keySize, count);
  }

  /** Deletes many keys; absent keys are counted in `missing`, not an error. */
  async deleteBatch(keys: readonly Buffer[]) {
    if (keys.length === 0) return { count: 0, batched: false, missing: 0 };
    const buf = Buffer.alloc(keys.length * this.keySize);
    keys.forEach((k, i) => {
      this.#checkKey(k);
      k.copy(buf, i * this.keySize);
    });
    return native().mapDeleteBatch(this.fd, buf, this.keySize, keys.length);
  }

  pin(path: string): void {
    native().objPin(this.fd, path);
  }

  close(): void {
    if (this.#owned && this.#fd >= 0) native().closeFd(this.#fd);
    this.#fd = -1;
  }

  #checkKey(key: Buffer): void {
    if (key.length !== this.keySize) {
      throw bpfError(
        "ERR_BPF_ARGUMENT",
        `key for map ${this.name} must be ${this.keySize} bytes, got ${key.length}`,
      );
    }
  }
}
