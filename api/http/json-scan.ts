// Owns the one pass over a JSON body's text before it is parsed: how deeply it nests, and which
// objects hold more members than any field allows. JSON.parse of a 1.2 MiB map of 100,000 labels
// takes about 60 ms and each later listing of its keys about 20 ms more, all to refuse it; cut to
// its first members before parsing, the same body is refused in a few ms with the same answer,
// its true size kept beside the cut object (api/policy/validation/cut-objects.ts).
import { markCut } from "../policy/validation/cut-objects.ts";
import type { PathSegment } from "../policy/validation/issues.ts";
import { objectLimits } from "../policy/validation/object-limits.ts";

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;

/** An object wider than the limit: where it is, its size, and the text its cut removes. */
export interface WideObject {
  path: PathSegment[];
  members: number;
  /** The comma after its last kept member: the text from here up to `end` is left out. */
  cutFrom: number;
  /** Its closing brace. */
  end: number;
}

export interface JsonScan {
  /** Deepest nesting of arrays and objects (a scalar is 0). */
  depth: number;
  /** Objects with more than the limit's members, inner ones before the objects holding them. */
  wide: WideObject[];
}

interface Frame {
  object: boolean;
  /** Members so far (objects: colons seen at this level) or the current index (arrays). */
  count: number;
  /** Where the last string at this level starts and ends (quotes included): an object's key. */
  stringFrom: number;
  stringTo: number;
  keyFrom: number;
  keyTo: number;
  cutFrom: number;
}

/**
 * One pass over `text`: strings are skipped (escapes included), and each object counts its members
 * by the colons at its own level. Meant for text JSON.parse is about to read; on malformed text the
 * answer is meaningless but the scan ends normally (JSON.parse then refuses the text). It stops
 * once deeper than `maxDepth` (a 4 MiB body of brackets must not cost a frame per bracket).
 */
export function scanJsonText(
  text: string,
  {
    maxMembers = objectLimits.members as number,
    maxDepth = Number.POSITIVE_INFINITY,
  }: { maxMembers?: number; maxDepth?: number } = {},
): JsonScan {
  const stack: Frame[] = [];
  const wide: WideObject[] = [];
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) {
      const from = i;
      for (i++; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === BACKSLASH) i++;
        else if (c === QUOTE) break;
      }
      const top = stack[stack.length - 1];
      if (top) {
        top.stringFrom = from;
        top.stringTo = i;
      }
    } else if (ch === OPEN_BRACE || ch === OPEN_BRACKET) {
      stack.push({
        object: ch === OPEN_BRACE,
        count: 0,
        stringFrom: -1,
        stringTo: -1,
        keyFrom: -1,
        keyTo: -1,
        cutFrom: -1,
      });
      if (stack.length > deepest) deepest = stack.length;
      if (deepest > maxDepth) return { depth: deepest, wide: [] };
    } else if (ch === COLON) {
      const top = stack[stack.length - 1];
      if (top?.object) {
        top.count++;
        top.keyFrom = top.stringFrom;
        top.keyTo = top.stringTo;
      }
    } else if (ch === COMMA) {
      const top = stack[stack.length - 1];
      if (!top) continue;
      if (!top.object) top.count++;
      else if (top.count === maxMembers + 1 && top.cutFrom < 0) top.cutFrom = i;
    } else if (ch === CLOSE_BRACE || ch === CLOSE_BRACKET) {
      const top = stack.pop();
      if (top?.object && top.count > maxMembers) {
        // Exactly one member over: nothing to cut, but still over the limit.
        const cutFrom = top.cutFrom >= 0 ? top.cutFrom : i;
        wide.push({ path: pathOf(text, stack), members: top.count, cutFrom, end: i });
      }
    }
  }
  return { depth: deepest, wide };
}

/** The path of the value being read inside the open containers `stack`. */
function pathOf(text: string, stack: readonly Frame[]): PathSegment[] {
  return stack.map((f) => (f.object ? keyText(text, f.keyFrom, f.keyTo) : f.count));
}

function keyText(text: string, from: number, to: number): string {
  if (from < 0) return "";
  try {
    return String(JSON.parse(text.slice(from, to + 1)));
  } catch {
    return text.slice(from + 1, to);
  }
}

/**
 * Parses `text` with every object wider than the limit cut to its first `maxMembers + 1` members,
 * each marked with its true size (cut-objects.ts) so that validation reports it and never accepts
 * it. Throws what JSON.parse throws.
 */
export function parseCut(text: string, wide: readonly WideObject[]): unknown {
  // An object inside the part of another that is cut away goes with it.
  const kept = wide
    .filter((w) => !wide.some((o) => o !== w && o.cutFrom <= w.cutFrom && w.end < o.end))
    .sort((a, b) => a.cutFrom - b.cutFrom);
  let cut = "";
  let from = 0;
  for (const w of kept) {
    cut += text.slice(from, w.cutFrom);
    from = w.end;
  }
  cut += text.slice(from);
  const value: unknown = JSON.parse(cut);
  for (const w of kept) markCut(value, w.path, w.members);
  return value;
}
