// Owns ring-buffer consumption: records are delivered on the event loop (the addon watches the
// ring's epoll fd with a uv poll handle), in batches, as Buffer copies.
import { bpfError } from "./errors.ts";
import { type BpfMap, MAP_TYPE } from "./map.ts";
import { native } from "./native.ts";

export class RingBufferReader {
  #id: number;

  /** `onRecords` gets every record available at each wakeup. The reader does not keep the process alive. */
  constructor(map: BpfMap, onRecords: (records: Buffer[]) => void) {
    if (map.type !== MAP_TYPE.RINGBUF) {
      throw bpfError(
        "ERR_BPF_ARGUMENT",
        `map ${map.name} must be a ring buffer (type 27), got type ${map.type}`,
      );
    }
    this.#id = native().ringbufOpen(map.fd, onRecords);
    native().ringbufRef(this.#id, false);
  }

  /** Drains the ring now (records go to the callback before this returns); returns how many. */
  consume(): number {
    if (this.#id === 0) throw bpfError("ERR_BPF_CLOSED", "ring buffer reader is closed");
    return native().ringbufConsume(this.#id);
  }

  /** Whether the reader keeps the event loop alive. */
  ref(keepAlive = true): void {
    if (this.#id !== 0) native().ringbufRef(this.#id, keepAlive);
  }

  close(): void {
    if (this.#id !== 0) native().ringbufClose(this.#id);
    this.#id = 0;
  }
}
