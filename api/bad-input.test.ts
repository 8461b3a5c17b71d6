// Bad input to every route that reads a body or a name: each answer is a 4xx with a stable error
// code (and for a 422 the path of the issue), nothing is stored, and nothing reaches the 500 path.
import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { BODY_ROUTES, seedRouteFixtures } from "./bad-input.cases.ts";
import { MAX_BODY_DEPTH } from "./http/nesting.ts";
import { MAX_BODY_BYTES } from "./server.ts";
import { createTestApp, expectRefused, type TestApp } from "./testing.ts";

const nestedArrays = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

let t: TestApp;
beforeEach(async () => {
  t = createTestApp();
  await seedRouteFixtures(t.call);
});

for (const route of BODY_ROUTES) {
  const send = (body: string, type?: string) => ({ method: route.method, path: route.path, body, type });
  const invalid = `${route.kind}.invalid`;

  describe(`bad input to ${route.label}`, () => {
    it("accepts the valid body the other cases start from", async () => {
      const res = await t.call(route.method, route.path, JSON.stringify(route.valid));
      assert.ok(res.status >= 200 && res.status < 300, JSON.stringify(res.body));
    });

    it("answers malformed JSON with 400 request.invalid_json", async () => {
      for (const body of ["{", '{"labels":}', "{'a': 1}", "[1,]", '{"a": 1} x', "NaN"])
        await expectRefused(t, send(body), { status: 400, code: "request.invalid_json" });
    });

    it("answers an empty or blank body with 400 request.empty_body", async () => {
      for (const body of ["", " \n\t "])
        await expectRefused(t, send(body), { status: 400, code: "request.empty_body" });
    });

    if (route.bundle) {
      it("answers an empty JSON list with 422 apply.empty", async () => {
        await expectRefused(t, send("[]"), { status: 422, code: "apply.empty" });
      });
      it("answers a top-level string, number, boolean or null as a document without a kind", async () => {
        for (const body of ['"x"', "5", "true", "null", "[[]]"])
          await expectRefused(t, send(body), {
            status: 422,
            code: invalid,
            issuePath: "[0].kind",
            issueRule: "enum",
          });
      });
    } else {
      it("answers a top-level array, string, number, boolean or null with 422 at the root", async () => {
        for (const body of ["[]", "[{}]", '"x"', "5", "true", "null"])
          await expectRefused(t, send(body), {
            status: 422,
            code: invalid,
            issuePath: "",
            issueRule: "invalid_type",
          });
      });
    }

    it("answers a field of the wrong type with 422 at that field's path", async () => {
      for (const bad of route.wrongTypes)
        await expectRefused(t, send(JSON.stringify(bad.body)), {
          status: 422,
          code: invalid,
          issuePath: bad.path,
          issueRule: bad.rule,
        });
    });

    it("answers an unknown field with 422 unknown_field at that field's path, as Kubernetes' strict validation does", async () => {
      for (const bad of route.unknownFields)
        await expectRefused(t, send(JSON.stringify(bad.body)), {
          status: 422,
          code: invalid,
          issuePath: bad.path,
          issueRule: bad.rule,
        });
    });

    it("answers a body over 4 MiB with 413 request.too_large, with or without a Content-Length", async () => {
      const big = `"${"x".repeat(MAX_BODY_BYTES)}"`;
      await expectRefused(t, send(big), { status: 413, code: "request.too_large" });
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          const chunk = new TextEncoder().encode("x".repeat(1024 * 1024));
          for (let i = 0; i < 5; i++) controller.enqueue(chunk);
          controller.close();
        },
      });
      await expectRefused(
        t,
        { method: route.method, path: route.path, body: stream as unknown as string },
        { status: 413, code: "request.too_large" },
      );
    });

    it(`answers JSON nested 10,000 levels (or ${MAX_BODY_DEPTH + 1}) with 400 request.too_deep`, async () => {
      for (const body of [nestedArrays(10_000), nestedObjects(10_000), nestedArrays(MAX_BODY_DEPTH + 1)])
        await expectRefused(t, send(body), { status: 400, code: "request.too_deep" });
    });

    if (route.yaml) {
      const yaml = (body: string) => send(body, "application/yaml");
      it("answers malformed YAML with 400 request.invalid_yaml", async () => {
        for (const body of ["a: [", "a: 1\na: 2\n", "a:\n\t- b\n", "a: 'open", "a: *nowhere"])
          await expectRefused(t, yaml(body), { status: 400, code: "request.invalid_yaml" });
      });

      it("answers a YAML alias bomb with 400 request.invalid_yaml instead of expanding it", async () => {
        let bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
        for (let i = 1; i < 9; i++)
          bomb += `a${i}: &a${i} [${Array(10)
            .fill(`*a${i - 1}`)
            .join(", ")}]\n`;
        await expectRefused(t, yaml(bomb), { status: 400, code: "request.invalid_yaml" });
      });

      it("answers YAML nested 10,000 levels with 400 request.too_deep, request after request", async () => {
        const bodies = [
          nestedArrays(10_000),
          `${"{a: ".repeat(10_000)}1${"}".repeat(10_000)}`,
          `${"- ".repeat(10_000)}1`,
        ];
        // Three rounds: the second deep parse used to abort the whole process inside V8.
        for (let round = 0; round < 3; round++)
          for (const body of bodies)
            await expectRefused(t, yaml(body), { status: 400, code: "request.too_deep" });
      });

      it("reads YAML holding a top-level scalar as one document of the wrong type", async () => {
        const expected = route.bundle
          ? { status: 422, code: invalid, issuePath: "[0].kind" }
          : { status: 422, code: invalid, issuePath: "", issueRule: "invalid_type" };
        await expectRefused(t, yaml("just a string\n"), expected);
      });
    } else {
      it("ignores a YAML Content-Type and answers a YAML body with 400 request.invalid_json", async () => {
        await expectRefused(t, send("labels: {}\n", "application/yaml"), {
          status: 400,
          code: "request.invalid_json",
        });
      });
    }
  });
}
