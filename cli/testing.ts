// Owns the CLI test doubles: an Io that captures output, and a recording fake REST API.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type { Env, Io } from "./io.ts";
import { runCli } from "./run.ts";

export interface CapturedIo extends Io {
  out(): string;
  err(): string;
}

export function captureIo(overrides: Partial<Io> = {}): CapturedIo {
  let out = "";
  let err = "";
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    fetch: globalThis.fetch,
    cwd: "/nonexistent-palisade-test-cwd",
    ...overrides,
    out: () => out,
    err: () => err,
  };
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface CannedAnswer {
  status?: number;
  json?: unknown;
  /** A raw body instead of JSON. */
  text?: string;
}

export interface FakeApi {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Answers every request with `answer(request)`; default 200 `{}`. */
export async function startFakeApi(
  answer: (request: RecordedRequest) => CannedAnswer = () => ({ json: {} }),
): Promise<FakeApi> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const recorded = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(recorded);
      const canned = answer(recorded);
      const body = canned.text ?? JSON.stringify(canned.json ?? {});
      const type = canned.text === undefined ? "application/json" : "text/plain";
      res.writeHead(canned.status ?? 200, { "content-type": type }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

/** Runs `palisade ...argv` against `api` with a fixed token, capturing output. */
export async function runAgainst(
  api: FakeApi,
  argv: string[],
  options: { env?: Env; io?: Partial<Io> } = {},
): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo(options.io);
  const env = { PALISADE_SERVER: api.url, PALISADE_TOKEN: "test-token", ...options.env };
  const code = await runCli(argv, env, io);
  return { code, out: io.out(), err: io.err() };
}
