// Owns reading request bodies: JSON, or YAML where a route accepts it, with clear 400s, and the
// one place a body that cannot be read (aborted, malformed chunked encoding) becomes a 400.
import type { Context, MiddlewareHandler } from "hono";
import { markCut } from "../policy/validation/cut-objects.ts";
import { ApiError } from "./errors.ts";
import { parseCut, scanJsonText } from "./json-scan.ts";
import { MAX_BODY_DEPTH, tooDeep } from "./nesting.ts";
import { parseYamlDocuments } from "./yaml-documents.ts";
import { yamlWorker } from "./yaml-worker.ts";

function isYaml(c: Context): boolean {
  const type = c.req.header("content-type") ?? "";
  return /yaml/i.test(type);
}

function unreadable(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const why = err instanceof Error ? err.message : String(err);
  return new ApiError("request.unreadable", `could not read the request body: ${why}`, { cause: err });
}

/**
 * Makes every read of the request body (the body limit's, a route's) fail with a 400
 * `request.unreadable` when the client aborts the body or its chunked encoding is malformed,
 * instead of the stream's own error, which would be answered, logged and counted as a 500.
 */
export function unreadableBodyIs400(): MiddlewareHandler {
  return async function readableBody(c, next) {
    const body = c.req.raw.body;
    if (body) {
      const reader = body.getReader();
      const guarded = new ReadableStream<Uint8Array>({
        async pull(controller) {
          let chunk: ReadableStreamReadResult<Uint8Array>;
          try {
            chunk = await reader.read();
          } catch (err) {
            throw unreadable(err);
          }
          if (chunk.done) controller.close();
          else controller.enqueue(chunk.value);
        },
        cancel: (reason) => reader.cancel(reason),
      });
      c.req.raw = new Request(c.req.raw, { body: guarded, duplex: "half" } as RequestInit);
    }
    return next();
  };
}

async function readText(c: Context): Promise<string> {
  try {
    return await c.req.text();
  } catch (err) {
    throw unreadable(err);
  }
}

/**
 * One JSON document, or `empty` when the body is absent or blank: for routes whose body is
 * optional (`POST /v1/webhook-receivers`).
 */
export async function readOptionalBody(c: Context, empty: unknown): Promise<unknown> {
  const text = await readText(c);
  return text.trim() === "" ? empty : parseJson(text);
}

/** One JSON (or, when `yaml` and the content type says so, one YAML) document. */
export async function readBody(c: Context, opts: { yaml?: boolean } = {}): Promise<unknown> {
  if (!(opts.yaml && isYaml(c))) return parseJson(await readText(c));
  const docs = await readDocuments(c, opts);
  if (docs.length !== 1) {
    throw new ApiError(
      "request.invalid_body",
      `expected exactly one document in the body, got ${docs.length}`,
    );
  }
  return docs[0];
}

/** Every document of a multi-document YAML body, or the items of a JSON list (or one JSON object). */
export async function readDocuments(c: Context, opts: { yaml?: boolean } = {}): Promise<unknown[]> {
  const text = await readText(c);
  if (text.trim() === "") throw new ApiError("request.empty_body", "the request body is empty");
  if (opts.yaml && isYaml(c)) return readYaml(text);
  const value = parseJson(text);
  return Array.isArray(value) ? value : [value];
}

/**
 * Bodies shorter than this (characters) are parsed on the event loop: about 10 ms of parsing at
 * the yaml package's 1.5 MB/s, where the worker's round trip costs about 1 ms and a small body
 * would otherwise wait behind any large one in the worker's queue (bench/hostile/README.md).
 */
export const YAML_INLINE_MAX_CHARS = 16 * 1024;

/**
 * The documents of a YAML body: parsed here when small, else in the YAML worker (yaml-worker.ts),
 * which cuts a map wider than any field allows before sending it back; cut maps are marked with
 * their true size, as a cut JSON object is, so validation refuses them with the same answer.
 */
async function readYaml(text: string): Promise<unknown[]> {
  const { docs, cut } =
    text.length < YAML_INLINE_MAX_CHARS ? parseYamlDocuments(text) : await yamlWorker.parse(text);
  for (const { path, members } of cut) markCut(docs, path, members);
  return docs;
}

/**
 * Parses a JSON body after one scan of its text (json-scan.ts): an object wider than any field
 * allows is parsed cut to its first members and marked so, which validation refuses with its
 * true size; a body nesting too deeply is refused once it parses (a malformed one says so first).
 */
function parseJson(text: string): unknown {
  if (text.trim() === "") throw new ApiError("request.empty_body", "the request body is empty");
  const scan = scanJsonText(text, { maxDepth: MAX_BODY_DEPTH });
  let value: unknown;
  try {
    value = scan.wide.length > 0 ? parseCut(text, scan.wide) : JSON.parse(text);
  } catch (err) {
    throw new ApiError("request.invalid_json", `the body is not valid JSON: ${(err as Error).message}`);
  }
  if (scan.depth > MAX_BODY_DEPTH) throw tooDeep("JSON");
  return value;
}
