// Owns reading request bodies: JSON, or YAML where a route accepts it, with clear 400s.
import type { Context } from "hono";
import { parseAllDocuments } from "yaml";
import { ApiError } from "./errors.ts";
import { checkJsonDepth, checkYamlDepth } from "./nesting.ts";

function isYaml(c: Context): boolean {
  const type = c.req.header("content-type") ?? "";
  return /yaml/i.test(type);
}

async function readText(c: Context): Promise<string> {
  try {
    return await c.req.text();
  } catch (err) {
    throw new ApiError("request.unreadable", `could not read the request body: ${String(err)}`);
  }
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
  if (opts.yaml && isYaml(c)) {
    checkYamlDepth(text);
    const docs = parseAllDocuments(text);
    const list = Array.isArray(docs) ? docs : [docs];
    const out: unknown[] = [];
    for (const [i, doc] of list.entries()) {
      if (doc.errors.length > 0) {
        throw new ApiError("request.invalid_yaml", `document ${i}: ${doc.errors[0]!.message}`);
      }
      const value = toJs(doc, i);
      checkJsonDepth(value); // aliases can nest deeper than the text does
      if (value !== null && value !== undefined) out.push(value);
    }
    return out;
  }
  const value = parseJson(text);
  return Array.isArray(value) ? value : [value];
}

/** A parsed document as plain values; an alias bomb (more than 100 alias expansions) is the caller's error. */
function toJs(doc: ReturnType<typeof parseAllDocuments>[number], index: number): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ApiError("request.invalid_yaml", `document ${index}: ${(err as Error).message}`);
  }
}

function parseJson(text: string): unknown {
  if (text.trim() === "") throw new ApiError("request.empty_body", "the request body is empty");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ApiError("request.invalid_json", `the body is not valid JSON: ${(err as Error).message}`);
  }
  checkJsonDepth(value);
  return value;
}
