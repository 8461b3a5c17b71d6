// Owns Program: one loaded BPF program by fd, and Program.run (BPF_PROG_TEST_RUN).
import { bpfError } from "./errors.ts";
import { native } from "./native.ts";

export interface RunOptions {
  /** Context in (for tc: a struct __sk_buff, see codecs/skb.ts); returned as `ctx` after the run. */
  ctx?: Buffer;
  /** Runs the program this many times; durationNs is the average. Default 1. */
  repeat?: number;
  /** Room for the packet after the run. Default: input length + 256. */
  dataOutSize?: number;
}

export interface RunResult {
  retval: number;
  durationNs: number;
  data: Buffer;
  ctx: Buffer | null;
}

export class Program {
  readonly name: string;
  readonly type: number;
  readonly id: number;
  #fd: number;
  readonly #owned: boolean;

  constructor(fd: number, owned: boolean) {
    const info = native().progInfo(fd);
    this.#fd = fd;
    this.#owned = owned;
    this.name = info.name;
    this.type = info.type;
    this.id = info.id;
  }

  static openPinned(path: string): Program {
    return new Program(native().objGet(path), true);
  }

  /** In-situ run statistics; they advance only while run-time stats are on (run-stats.ts). */
  stats(): { runTimeNs: bigint; runCount: bigint } {
    const { runTimeNs, runCount } = native().progInfo(this.fd);
    return { runTimeNs, runCount };
  }

  /** Size after the verifier (BPF instructions x 8) and as JIT-compiled code, in bytes. */
  size(): { xlatedBytes: number; jitedBytes: number } {
    const { xlatedBytes, jitedBytes } = native().progInfo(this.fd);
    return { xlatedBytes, jitedBytes };
  }

  get fd(): number {
    if (this.#fd < 0) throw bpfError("ERR_BPF_CLOSED", `program ${this.name} is closed`);
    return this.#fd;
  }

  /** Runs the program on `data` with BPF_PROG_TEST_RUN. */
  run(data: Buffer, { ctx, repeat = 1, dataOutSize }: RunOptions = {}): RunResult {
    return native().progTestRun(this.fd, data, ctx ?? null, repeat, dataOutSize ?? data.length + 256);
  }

  pin(path: string): void {
    native().objPin(this.fd, path);
  }

  close(): void {
    if (this.#owned && this.#fd >= 0) native().closeFd(this.#fd);
    this.#fd = -1;
  }
}
