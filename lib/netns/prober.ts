// Owns talking to one pod's prober process (prober.mjs): concurrent TCP connects and UDP echoes
// from inside the pod, and long-lived TCP connections for tests that span a restart.
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export type Proto = "tcp" | "udp";

export interface ProbeResult {
  ok: boolean;
  why: string;
}

/** What a stream (Prober.stream) has done so far. */
export interface StreamStats extends ProbeResult {
  sent: number;
  echoed: number;
  /** When each echo came back (ms since the epoch, this host's clock). */
  echoTimes: number[];
}

export class Prober {
  static script = fileURLToPath(new URL("./prober.mjs", import.meta.url));
  #next = 0;
  #waiting = new Map<number, (r: StreamStats) => void>();

  constructor(readonly child: ChildProcess) {
    let buffer = "";
    child.stdout!.on("data", (d: Buffer) => {
      buffer += d.toString();
      for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        const msg = JSON.parse(line) as Partial<StreamStats> & { id?: number };
        if (msg.id === undefined) continue;
        this.#waiting.get(msg.id)?.({
          ok: msg.ok === true,
          why: msg.why ?? "",
          sent: msg.sent ?? 0,
          echoed: msg.echoed ?? 0,
          echoTimes: msg.echoTimes ?? [],
        });
        this.#waiting.delete(msg.id);
      }
    });
  }

  /** Sends a request; the answer as {ok, why} (what probes, held connections and streams answer). */
  async #ask(request: Record<string, unknown>): Promise<ProbeResult> {
    const { ok, why } = await this.#send(request);
    return { ok, why };
  }

  #send(request: Record<string, unknown>): Promise<StreamStats> {
    const id = ++this.#next;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.child.stdin!.write(`${JSON.stringify({ ...request, id })}\n`);
    });
  }

  /** One TCP connect (greeting received) or UDP echo round trip to ip:port; UDP padded to `size` bytes. */
  probe(proto: Proto, ip: string, port: number, timeoutMs = 1000, size?: number): Promise<ProbeResult> {
    return this.#ask({ proto, ip, port, timeoutMs, ...(size ? { size } : {}) });
  }

  /** Sends `bytes` on one TCP connection to an echo server; ok once all came back (`echoed` counts). */
  bulk(ip: string, port: number, bytes: number, timeoutMs = 10_000): Promise<StreamStats> {
    return this.#send({ op: "bulk", ip, port, bytes, timeoutMs });
  }

  /** Opens a TCP connection kept under `key` (ok once the greeting arrives). */
  open(key: string, ip: string, port: number, timeoutMs = 1000): Promise<ProbeResult> {
    return this.#ask({ op: "open", key, ip, port, timeoutMs });
  }

  /** Sends a line on the held connection and waits for its echo. */
  ping(key: string, timeoutMs = 1000): Promise<ProbeResult> {
    return this.#ask({ op: "ping", key, timeoutMs });
  }

  /**
   * Starts sending a numbered line every `everyMs` to ip:port on one TCP connection (or UDP socket)
   * kept under `key`, from `localPort` if given; the servers echo them. ok once sending started.
   */
  stream(
    key: string,
    proto: Proto,
    ip: string,
    port: number,
    { everyMs = 50, localPort }: { everyMs?: number; localPort?: number } = {},
  ): Promise<ProbeResult> {
    return this.#ask({ op: "stream", key, proto, ip, port, everyMs, ...(localPort ? { localPort } : {}) });
  }

  streamStats(key: string): Promise<StreamStats> {
    return this.#send({ op: "stream-stats", key });
  }

  /** Closes a held connection or a stream. */
  close(key: string): Promise<ProbeResult> {
    return this.#ask({ op: "close", key });
  }
}
