// Owns turning the text of a YAML body into plain documents: the pure, costly part of reading a
// YAML body (about 1.5 MB/s), which the body reader runs on the event loop for small bodies and in
// a worker thread for large ones (yaml-worker.ts). Errors are the body reader's ApiErrors.
import { Composer, CST, type Document, isScalar, Lexer, Parser, parseAllDocuments, visit } from "yaml";
import type { PathSegment } from "../policy/validation/issues.ts";
import { objectLimits } from "../policy/validation/object-limits.ts";
import { ApiError } from "./errors.ts";
import { checkJsonDepth, MAX_BODY_DEPTH, tooDeep } from "./nesting.ts";

/** A map the reader cut to its first members: where it is (from the document list) and its true size. */
export interface CutMap {
  path: PathSegment[];
  members: number;
}

export interface YamlDocuments {
  /** The documents that are not empty, as plain values (wide maps cut). */
  docs: unknown[];
  /** The maps of `docs` cut to `maxMembers + 1` members; the caller marks them (cut-objects.ts). */
  cut: CutMap[];
}

type ParsedDocument = Document.Parsed;

/**
 * Items a YAML body may hold: scalars, sequence items, map values, flow separators, aliases,
 * anchors and tags, each of which the parser turns into objects. A 4 MiB bundle of real objects
 * holds a few hundred thousand; a flow sequence of two million one-digit numbers (`[1,1,...]`)
 * took the parser past a 512 MB heap. Refused 413 request.too_large once lexed this far.
 */
export const MAX_YAML_ITEMS = 600_000;

/** Lexemes (CST.tokenType) counted as items: what opens a node or an entry. */
const ITEM_TOKENS = new Set([
  "scalar",
  "single-quoted-scalar",
  "double-quoted-scalar",
  "seq-item-ind",
  "explicit-key-ind",
  "map-value-ind",
  "comma",
  "flow-map-start",
  "flow-seq-start",
  "alias",
  "anchor",
  "tag",
]);

/**
 * Documents a YAML body may hold: twice what a bundle may apply (MAX_BUNDLE_DOCUMENTS), so that a
 * bundle a little over its limit is still refused with its count (413 apply.too_many_documents),
 * while 466,000 one-line documents (4 MiB) stop here instead of being composed for seconds.
 */
export const MAX_YAML_DOCUMENTS = 10_000;

/**
 * Parses every document of `text`: refused 400 `request.too_deep` when it nests deeper than
 * MAX_BODY_DEPTH (in the text, or through aliases), 400 `request.invalid_yaml` when a document does
 * not parse, repeats a map key or expands more than 100 aliases. A map of more than `maxMembers`
 * members is cut to its first `maxMembers + 1`, as the JSON body scan cuts a wide object, so that
 * a 100,000-label map is neither copied to the event loop's thread nor listed there in full.
 */
export function parseYamlDocuments(
  text: string,
  { maxMembers = objectLimits.members as number }: { maxMembers?: number } = {},
): YamlDocuments {
  const list = composeWithinDepth(text);
  const docs: unknown[] = [];
  for (const [i, doc] of list.entries()) {
    if (doc.errors.length > 0) {
      throw new ApiError("request.invalid_yaml", `document ${i}: ${prettyError(text, i)}`);
    }
    checkUniqueKeys(doc, i);
    const value = toJs(doc, i);
    checkJsonDepth(value); // aliases can nest deeper than the text does
    if (value !== null && value !== undefined) docs.push(value);
  }
  const cut: CutMap[] = [];
  const copies = new Map<object, unknown>();
  for (let i = 0; i < docs.length; i++) docs[i] = cutWide(docs[i], [i], maxMembers, cut, copies);
  return { docs, cut };
}

/**
 * The documents of `text`, composed from one pass of the yaml package's iterative lexer and parser
 * that refuses the text once it nests deeper than MAX_BODY_DEPTH, before the recursive composer
 * sees a document that deep (which could overflow the stack: a fatal V8 abort). This is
 * parseAllDocuments(text, { uniqueKeys: false }) without its line counter (errors name no line
 * yet, see prettyError), and half the work of checking the depth in a pass of its own first.
 */
function composeWithinDepth(text: string): ParsedDocument[] {
  const parser = new Parser();
  const composer = new Composer({ uniqueKeys: false });
  const docs: ParsedDocument[] = [];
  // The parser's stack holds the document and at most one open scalar besides the collections.
  const limit = MAX_BODY_DEPTH + 2;
  let items = 0;
  for (const lexeme of new Lexer().lex(text)) {
    if (ITEM_TOKENS.has(CST.tokenType(lexeme) ?? "") && ++items > MAX_YAML_ITEMS) {
      throw new ApiError(
        "request.too_large",
        `the YAML body holds more than ${MAX_YAML_ITEMS} values and entries; split it into smaller bodies`,
      );
    }
    // Tokens finished by this lexeme are composed only once the stack is known to be in bounds.
    const tokens = [...parser.next(lexeme)];
    if (parser.stack.length > limit) throw tooDeep("YAML");
    for (const token of tokens) for (const doc of composer.next(token)) docs.push(doc as ParsedDocument);
    if (docs.length > MAX_YAML_DOCUMENTS) {
      throw new ApiError(
        "request.too_large",
        `the YAML body holds more than ${MAX_YAML_DOCUMENTS} documents; split it into smaller bodies`,
      );
    }
  }
  for (const token of parser.end()) for (const doc of composer.next(token)) docs.push(doc as ParsedDocument);
  for (const doc of composer.end()) docs.push(doc as ParsedDocument);
  return docs;
}

/** The first error of document `index`, worded as parseAllDocuments words it (with line and column). */
function prettyError(text: string, index: number): string {
  // Only a refused body pays for the second parse that locates the error in the text.
  const docs = parseAllDocuments(text, { uniqueKeys: false });
  const doc = Array.isArray(docs) ? docs[index] : undefined;
  return doc?.errors[0]?.message ?? "the document does not parse";
}

/**
 * Refuses a map that repeats a key, in one pass over each map: two keys are the same when both are
 * scalars of equal value (the parser's default rule; a complex key equals only itself). The
 * parser's own check compares each key with every earlier one of its map: a 1.9 MB map of 100,000
 * keys took 72 s.
 */
function checkUniqueKeys(doc: ParsedDocument, index: number): void {
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = pair.key.value;
        if (seen.has(key)) {
          const shown = JSON.stringify(String(key).slice(0, 64));
          throw new ApiError(
            "request.invalid_yaml",
            `document ${index}: map keys must be unique; ${shown} is repeated`,
          );
        }
        seen.add(key);
      }
    },
  });
}

/** A parsed document as plain values; an alias bomb (more than 100 alias expansions) is the caller's error. */
function toJs(doc: ParsedDocument, index: number): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ApiError("request.invalid_yaml", `document ${index}: ${(err as Error).message}`);
  }
}

/**
 * `value` with every object of more than `max` members replaced by a copy of its first `max + 1`
 * (recorded in `cut` with its path and true size). Values are those toJS made, owned here, so
 * containers are updated in place; an object reached twice (an alias) is cut once and stays shared.
 */
function cutWide(
  value: unknown,
  path: PathSegment[],
  max: number,
  cut: CutMap[],
  copies: Map<object, unknown>,
): unknown {
  if (value === null || typeof value !== "object") return value;
  if (copies.has(value)) return copies.get(value);
  if (Array.isArray(value)) {
    copies.set(value, value);
    for (let i = 0; i < value.length; i++) {
      const child = cutWide(value[i], [...path, i], max, cut, copies);
      if (child !== value[i]) value[i] = child;
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let kept = record;
  if (keys.length > max) {
    // fromEntries defines each key as its own property, "__proto__" included, as toJS did.
    kept = Object.fromEntries(keys.slice(0, max + 1).map((k) => [k, record[k]]));
    cut.push({ path, members: keys.length });
  }
  copies.set(value, kept);
  for (const key of keys.length > max ? keys.slice(0, max + 1) : keys) {
    const child = cutWide(kept[key], [...path, key], max, cut, copies);
    if (child !== kept[key]) kept[key] = child;
  }
  return kept;
}
