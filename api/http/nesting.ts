// Owns the bound on how deeply a request body may nest. Everything after parsing (validation
// previews, JSON.stringify of the submitted object, the YAML composer) recurses per level, so a
// 20 KB body of brackets could otherwise overflow the stack: a 500, or for YAML a fatal V8 abort.
// YAML text is checked as it is parsed (yaml-documents.ts), JSON text by its scan (json-scan.ts).
import { ApiError } from "./errors.ts";
import { scanJsonText } from "./json-scan.ts";

/** Deepest nesting of arrays and objects a body may have; Kubernetes objects stay far below it. */
export const MAX_BODY_DEPTH = 100;

export function tooDeep(what: "JSON" | "YAML"): ApiError {
  return new ApiError(
    "request.too_deep",
    `the ${what} body nests arrays and objects deeper than ${MAX_BODY_DEPTH} levels`,
  );
}

/** Throws 400 request.too_deep when `value` nests deeper than MAX_BODY_DEPTH (a scalar is depth 0). */
export function checkJsonDepth(value: unknown): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth + 1 > MAX_BODY_DEPTH) throw tooDeep("JSON");
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
}

/**
 * Throws 400 request.too_deep when JSON text nests deeper than MAX_BODY_DEPTH, from one pass over
 * its characters: cheaper than walking the parsed value (a 1 MiB object of 100,000 keys takes a
 * few ms, where the walk allocated every value list). Call it on text JSON.parse accepted: brackets
 * inside strings are skipped, and escapes are well formed.
 */
export function checkJsonTextDepth(text: string): void {
  if (scanJsonText(text, { maxDepth: MAX_BODY_DEPTH }).depth > MAX_BODY_DEPTH) throw tooDeep("JSON");
}
