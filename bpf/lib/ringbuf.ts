// Owns ring-buffer consumption: records are delivered on the event loop (the addon watches the
// ring's epoll fd with a uv poll handle), in batches, as Buffer copies.
import { bpfError } from "./errors.ts";
import { type BpfMap, MAP_TYPE } from "./map.ts";
import { native } from "./native.ts";

export class RingBufferReader {
  #id: number;
  #poll: NodeJS.Timeout | undefined;

  /**
   * `onRecords` gets every record available at each wakeup, and every `pollMs` when given (for
   * records submitted without a wakeup, as new-connection events are: events.h). The reader does
   * not keep the process alive.
   */
  constructor(map: BpfMap, onRecords: (records: Buffer[]) => void, pollMs?: number) {
    if (map.type !== MAP_TYPE.RINGBUF) {
      throw bpfError(
        "ERR_BPF_ARGUMENT",
        `map ${map.name} must be a ring buffer (type 27), got type ${map.type}`,
      );
    }
    this.#id = native().ringbufOpen(map.fd, onRecords);
    native().ringbufRef(this.#id, false);
    if (pollMs !== undefined) {
      this.#poll = setInterval(() => {
        if (this.#id !== 0) native().ringbufConsume(this.#id);
      }, pollMs);
      this.#poll.unref();
    }
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
    clearInterval(this.#poll);
    if (this.#id !== 0) native().ringbufClose(this.#id);
    this.#id = 0;
  }
}
