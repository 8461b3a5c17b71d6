// Properties over arbitrary bodies to every route that reads one: the answer is never a 5xx, and
// nothing is stored (revision and live tokens unchanged) unless the answer is a 2xx.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { BODY_ROUTES, seedRouteFixtures } from "./bad-input.cases.ts";
import { createTestApp } from "./testing.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Edit = { op: "replace" | "delete" | "add"; at: number; key: string; value: Json };

type Container = Json[] | Record<string, Json>;

/** Every container in `value` with the key (or index) of each of its children. */
function slots(value: Json): [container: Container, key: string | number][] {
  const out: [Container, string | number][] = [];
  const stack: Json[] = [value];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    const keys: (string | number)[] = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
    for (const key of keys) {
      out.push([v, key]);
      stack.push((v as Record<string | number, Json>)[key]!);
    }
  }
  return out;
}

/** `template` with one edit: a value replaced by arbitrary JSON, a key deleted, or a key added. */
function edited(template: unknown, edit: Edit): Json {
  const copy = structuredClone(template) as Json;
  const all = slots(copy);
  if (all.length === 0) return edit.value;
  const [container, key] = all[edit.at % all.length]!;
  if (Array.isArray(container)) {
    if (edit.op === "delete") container.splice(Number(key), 1);
    else container[Number(key)] = edit.value;
  } else if (edit.op === "replace") container[key] = edit.value;
  else if (edit.op === "delete") delete container[key];
  else container[edit.key] = edit.value;
  return copy;
}

const json = fc.jsonValue({ maxDepth: 5 }) as fc.Arbitrary<Json>;
const edit: fc.Arbitrary<Edit> = fc.record({
  op: fc.constantFrom("replace", "delete", "add"),
  at: fc.nat(),
  key: fc.oneof(fc.string(), fc.constantFrom("labels", "spec", "metadata", "kind", "__proto__")),
  value: json,
});

for (const route of BODY_ROUTES) {
  describe(`arbitrary bodies to ${route.label}`, () => {
    const app = createTestApp();
    const ready = seedRouteFixtures(app.call);

    const check = async (body: string, type?: string) => {
      await ready;
      const before = app.footprint();
      const res = await app.call(route.method, route.path, body, { type });
      assert.ok(res.status < 500, `${res.status} for ${body.slice(0, 300)}: ${JSON.stringify(res.body)}`);
      if (res.status < 200 || res.status > 299) {
        assert.deepEqual(
          app.footprint(),
          before,
          `a ${res.status} stored something for ${body.slice(0, 300)}`,
        );
        assert.equal(typeof res.body?.error?.code, "string", "a refusal carries an error code");
      }
      assert.deepEqual(app.errorLogs(), []);
    };

    it("never answers 5xx to any JSON value, and stores nothing unless it answers 2xx", async () => {
      await fc.assert(
        fc.asyncProperty(json, (body) => check(JSON.stringify(body))),
        { numRuns: 150 },
      );
    });

    it("never answers 5xx to a valid body with one field replaced, removed or added", async () => {
      await fc.assert(
        fc.asyncProperty(edit, (e) => check(JSON.stringify(edited(route.valid, e)))),
        { numRuns: 300 },
      );
    });

    if (route.yaml) {
      it("never answers 5xx to arbitrary text sent as YAML", async () => {
        const text = fc.oneof(
          fc.string({ unit: fc.constantFrom(..."ab: -[]{},&*!|>'\"#\n\t ?%@`") }),
          fc.string(),
        );
        await fc.assert(
          fc.asyncProperty(text, (body) => check(body, "application/yaml")),
          { numRuns: 300 },
        );
      });
    }
  });
}
