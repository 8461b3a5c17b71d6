// Owns how the revision log stores a revision's change set: JSON text, or for a large change set
// JSON deflated into a blob. A large one is serialized in steps (steps.ts) and deflated on the
// thread pool, so that a write of many entries never serializes them in one turn of the event loop:
// a 128 x 100 excepts policy's change set is 29 MB of JSON (76 ms to stringify, 89 ms to insert as
// text; about 3 MB deflated).
import { createDeflate, deflateSync, inflateSync } from "node:zlib";
import type { ChangeSet } from "../policy/compiler/change-set.ts";
import { drain, type Steps } from "../policy/compiler/steps.ts";

/** Entries over which a change set is stored deflated (about 2-3 MB of JSON). */
export const DEFLATE_OVER_ENTRIES = 16_384;
/** zlib's fastest level: the log's JSON repeats itself, so even that makes it about 10x smaller. */
const DEFLATE_LEVEL = 1;
/** Array elements serialized per step. */
const ELEMENTS_PER_STEP = 512;

/** How many map entries a change set holds (what its size follows). */
export function changeSetEntries(cs: ChangeSet): number {
  let n = cs.ipcache.upsert.length + cs.ipcache.remove.length;
  for (const d of Object.values(cs.sets)) n += d.upsert.length + d.remove.length;
  for (const list of Object.values(cs.setEntries)) n += list.length;
  for (const list of Object.values(cs.removedSetEntries)) n += list.length;
  return n;
}

/** True when a change set is stored deflated, and serialized in steps. */
export function isLarge(cs: ChangeSet): boolean {
  return changeSetEntries(cs) > DEFLATE_OVER_ENTRIES;
}

/** The log's value for a change set that is not large: its JSON. */
export function encodeSmall(cs: ChangeSet): string {
  return JSON.stringify(cs);
}

/** The log's value for any change set, at once (a large one deflated, as encodeLarge does). */
export function encodeSync(cs: ChangeSet): string | Buffer {
  if (!isLarge(cs)) return encodeSmall(cs);
  return deflateSync(JSON.stringify(cs), { level: DEFLATE_LEVEL });
}

/**
 * The log's value for a large change set: its JSON, deflated. `pause` is awaited whenever a step
 * ends (it decides whether the event loop runs first); the deflating itself is off this thread.
 */
export async function encodeLarge(cs: ChangeSet, pause: () => Promise<void> | undefined): Promise<Buffer> {
  const deflate = createDeflate({ level: DEFLATE_LEVEL });
  const chunks: Buffer[] = [];
  deflate.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on("end", resolve);
    deflate.on("error", reject);
  });
  const pieces: string[] = [];
  const steps = jsonSteps(cs, pieces);
  for (;;) {
    const r = steps.next();
    // Each step's text goes to the stream at once: its UTF-8 copy is made in the same step.
    for (const p of pieces) deflate.write(p);
    pieces.length = 0;
    if (r.done) break;
    const waited = pause();
    if (waited) await waited;
  }
  deflate.end();
  await done;
  return Buffer.concat(chunks);
}

/** A change set as the log stored it (JSON text, or deflated JSON). */
export function decodeChanges(stored: string | Buffer | Uint8Array): ChangeSet {
  const text = typeof stored === "string" ? stored : inflateSync(stored).toString("utf8");
  return JSON.parse(text) as ChangeSet;
}

/**
 * JSON.stringify(value) as pieces appended to `out`, a step per run of array elements: the same
 * text, in order (plain data only: no toJSON, no functions; undefined object members are left out
 * as JSON.stringify does).
 */
export function* jsonSteps(value: unknown, out: string[]): Steps<void> {
  if (Array.isArray(value)) {
    if (value.length <= ELEMENTS_PER_STEP) {
      out.push(JSON.stringify(value));
      return;
    }
    for (let i = 0; i < value.length; i += ELEMENTS_PER_STEP) {
      const part = JSON.stringify(value.slice(i, i + ELEMENTS_PER_STEP));
      out.push(i === 0 ? `[${part.slice(1, -1)}` : `,${part.slice(1, -1)}`);
      yield;
    }
    out.push("]");
    return;
  }
  if (value === null || typeof value !== "object") {
    out.push(JSON.stringify(value));
    return;
  }
  let first = true;
  out.push("{");
  for (const [key, member] of Object.entries(value)) {
    if (member === undefined) continue;
    out.push(`${first ? "" : ","}${JSON.stringify(key)}:`);
    first = false;
    yield* jsonSteps(member, out);
  }
  out.push("}");
}

/** jsonSteps at once, as one string (for tests). */
export function jsonInSteps(value: unknown): string {
  const out: string[] = [];
  drain(jsonSteps(value, out));
  return out.join("");
}
