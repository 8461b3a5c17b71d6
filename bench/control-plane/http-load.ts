// Owns the client side of the HTTP benchmark: a fixed pool of keep-alive connections, one request
// with its latency, and running a bounded list of requests at a fixed concurrency.
import { Agent, request } from "node:http";

export interface HttpCall {
  method: "GET" | "PUT" | "POST";
  path: string;
  /** Serialized once before timing starts, so the client's JSON work is not timed. */
  body?: string;
  /** Counted separately in the results (e.g. "create", "update"). */
  tag?: string;
  /** The body's content type (default application/json). */
  type?: string;
}

export interface HttpAnswer {
  status: number;
  body: string;
  ms: number;
}

export interface LoadResult {
  /** Wall time from the first request sent to the last answer read. */
  wallMs: number;
  latenciesMs: number[];
  /** Answers per status code. */
  statuses: Map<number, number>;
  /** The first few answers that were not 2xx, for the error message. */
  failures: string[];
}

export interface Client {
  call(c: HttpCall): Promise<HttpAnswer>;
  close(): void;
}

/** A client for `baseUrl` (127.0.0.1 only) holding at most `connections` keep-alive sockets. */
export function createClient(
  baseUrl: string,
  opts: { adminToken: string; connections: number; timeoutMs?: number },
): Client {
  const url = new URL(baseUrl);
  if (url.hostname !== "127.0.0.1") throw new Error(`the benchmark talks to 127.0.0.1 only, got ${baseUrl}`);
  const agent = new Agent({
    keepAlive: true,
    maxSockets: opts.connections,
    maxFreeSockets: opts.connections,
  });
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const call = (c: HttpCall) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const headers: Record<string, string | number> = { authorization: `Bearer ${opts.adminToken}` };
      if (c.body !== undefined) {
        headers["content-type"] = c.type ?? "application/json";
        headers["content-length"] = Buffer.byteLength(c.body);
      }
      const started = performance.now();
      const req = request(
        { agent, host: url.hostname, port: url.port, method: c.method, path: c.path, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString("utf8"),
              ms: performance.now() - started,
            }),
          );
          res.on("error", reject);
        },
      );
      req.setTimeout(timeoutMs, () =>
        req.destroy(new Error(`${c.method} ${c.path} took over ${timeoutMs} ms`)),
      );
      req.on("error", reject);
      req.end(c.body);
    });
  return { call, close: () => agent.destroy() };
}

/** Sends every call, `concurrency` in flight at a time, in list order; never retries. */
export async function runLoad(
  client: Client,
  calls: readonly HttpCall[],
  concurrency: number,
): Promise<LoadResult> {
  const latenciesMs: number[] = new Array(calls.length);
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < calls.length) {
      const i = next++;
      const c = calls[i]!;
      const answer = await client.call(c);
      latenciesMs[i] = answer.ms;
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if ((answer.status < 200 || answer.status > 299) && failures.length < 3)
        failures.push(`${c.method} ${c.path} -> ${answer.status} ${answer.body.slice(0, 300)}`);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, calls.length) }, worker));
  return { wallMs: performance.now() - started, latenciesMs, statuses, failures };
}

/** Throws unless every answer of `result` was 2xx. */
export function assertAllOk(what: string, result: LoadResult): void {
  const bad = [...result.statuses].filter(([s]) => s < 200 || s > 299);
  if (bad.length === 0) return;
  const counts = bad.map(([s, n]) => `${n} x ${s}`).join(", ");
  throw new Error(`${what}: ${counts}; first: ${result.failures.join(" | ")}`);
}
