// Tests reading YAML bodies off the event loop: the worker answers exactly what the inline parse
// (and the parse before the worker) answers, cuts wide maps so that they are refused with their
// true size, fails clearly when it dies, and leaves the event loop free while it parses.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isScalar, Lexer, Parser, parseAllDocuments, visit } from "yaml";
import { createTestApp } from "../testing.ts";
import { YAML_INLINE_MAX_CHARS } from "./body.ts";
import { ApiError } from "./errors.ts";
import { checkJsonDepth, MAX_BODY_DEPTH, tooDeep } from "./nesting.ts";
import { parseYamlDocuments } from "./yaml-documents.ts";
import { YamlWorker, yamlWorker } from "./yaml-worker.ts";

/**
 * The YAML reading as it was before the worker (body.ts at 5eed3cb): a depth pass of its own, then
 * parseAllDocuments, each document's errors, its keys, toJS and the depth of its values. The oracle
 * for the answers (documents, or the error's code and message), cuts aside.
 */
function legacyParse(text: string): unknown[] {
  const parser = new Parser();
  for (const lexeme of new Lexer().lex(text)) {
    for (const _ of parser.next(lexeme));
    if (parser.stack.length > MAX_BODY_DEPTH + 2) throw tooDeep("YAML");
  }
  const out: unknown[] = [];
  for (const [i, doc] of parseAllDocuments(text, { uniqueKeys: false }).entries()) {
    if (doc.errors.length > 0) {
      throw new ApiError("request.invalid_yaml", `document ${i}: ${doc.errors[0]!.message}`);
    }
    visit(doc, {
      Map(_, map) {
        const seen = new Set<unknown>();
        for (const pair of map.items) {
          if (!isScalar(pair.key)) continue;
          if (seen.has(pair.key.value)) {
            const shown = JSON.stringify(String(pair.key.value).slice(0, 64));
            throw new ApiError(
              "request.invalid_yaml",
              `document ${i}: map keys must be unique; ${shown} is repeated`,
            );
          }
          seen.add(pair.key.value);
        }
      },
    });
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      throw new ApiError("request.invalid_yaml", `document ${i}: ${(err as Error).message}`);
    }
    checkJsonDepth(value);
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

type Outcome = { docs: unknown[] } | { code: string; message: string };

async function outcome(parse: () => unknown[] | Promise<unknown[]>): Promise<Outcome> {
  try {
    return { docs: await parse() };
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return { code: err.code, message: err.message };
  }
}

/** A valid document of about `chars` characters, so that a body goes to the worker. */
function padding(chars: number): string {
  let text = "kind: Padding\nitems:\n";
  for (let i = 0; text.length < chars; i++) text += `  - {name: item-${i}, port: ${i % 65536}, on: true}\n`;
  return text;
}

const PAD = padding(YAML_INLINE_MAX_CHARS + 1024);

function labelsYaml(count: number, indent = "    "): string {
  let text = "";
  for (let i = 0; i < count; i++) text += `${indent}k${i}: v\n`;
  return text;
}

const bodies: Record<string, string> = {
  "a bundle of policies": `${PAD}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  ingress:\n    - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]\n      ports: [{protocol: TCP, port: 8080}]\n`,
  "anchors, merge keys and shared values": `${PAD}---\nbase: &b {a: 1, list: [1, 2]}\nuse: *b\nmerged: {<<: *b, c: 3}\n`,
  "scalars of every kind": `${PAD}---\nnull: ~\nt: true\nn: -0\ninf: .inf\nnan: .nan\nhex: 0x1F\nbig: 123456789012345678901234567890\nquoted: "\\u00e9\\t"\nfolded: >\n  a\n  b\nliteral: |\n  x\n  y\n`,
  "a __proto__ key": `${PAD}---\nmetadata:\n  labels:\n    __proto__: polluted\n    constructor: x\n`,
  "empty documents between others": `---\n---\n${PAD}---\n...\n---\n~\n---\nlast: 1\n`,
  "a wide map (cut aside)": `${PAD}---\nmetadata:\n  labels:\n${labelsYaml(5_000)}`,
};

const badBodies: Record<string, string> = {
  "a syntax error in a later document": `${PAD}---\nkey: [1, 2\nother: }\n`,
  "a repeated key": `${PAD}---\nmetadata:\n  labels:\n    a: 1\n    b: 2\n    a: 3\n`,
  "an alias bomb": `${PAD}---\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
  "nesting too deep in the text": `${PAD}---\n${"[".repeat(10_000)}${"]".repeat(10_000)}\n`,
  "nesting too deep through aliases": `${PAD}---\na: &a ${"[".repeat(60)}1${"]".repeat(60)}\nb: ${"[".repeat(50)}*a${"]".repeat(50)}\n`,
  "a tab-indented map": `${PAD}---\na:\n\tb: 1\n`,
  "an unknown anchor": `${PAD}---\na: *nowhere\n`,
};

describe("YAML bodies in the worker", () => {
  for (const [name, text] of Object.entries(bodies)) {
    it(`${name}: the worker, the inline parse and the parse before the worker give the same documents`, async () => {
      assert.ok(text.length >= YAML_INLINE_MAX_CHARS, "the body is large enough to go to the worker");
      const legacy = await outcome(() => legacyParse(text));
      assert.ok("docs" in legacy, JSON.stringify(legacy).slice(0, 300));
      const inline = parseYamlDocuments(text, { maxMembers: Number.POSITIVE_INFINITY });
      assert.deepStrictEqual(inline.docs, legacy.docs);
      assert.deepStrictEqual(inline.cut, []);
      const cutInline = parseYamlDocuments(text);
      const inWorker = await yamlWorker.parse(text);
      assert.deepStrictEqual(inWorker, cutInline);
    });
  }

  for (const [name, text] of Object.entries(badBodies)) {
    it(`${name}: refused with the same code and message as before`, async () => {
      const legacy = await outcome(() => legacyParse(text));
      assert.ok("code" in legacy, `the oracle refuses it: ${JSON.stringify(legacy).slice(0, 200)}`);
      assert.deepStrictEqual(await outcome(() => parseYamlDocuments(text).docs), legacy);
      assert.deepStrictEqual(await outcome(async () => (await yamlWorker.parse(text)).docs), legacy);
    });
  }

  it("cuts a map wider than 4,096 members to its first 4,097 and reports its true size and path", async () => {
    const text = `${PAD}---\nmetadata:\n  labels:\n${labelsYaml(100_000)}  annotations: {a: b}\n`;
    const { docs, cut } = await yamlWorker.parse(text);
    assert.deepStrictEqual(cut, [{ path: [1, "metadata", "labels"], members: 100_000 }]);
    const labels = (docs[1] as { metadata: { labels: Record<string, string> } }).metadata.labels;
    assert.equal(Object.keys(labels).length, 4_097);
    assert.equal(labels.k4096, "v");
    assert.equal(labels.k4097, undefined);
  });
});

describe("YAML bodies through the API", () => {
  const wideNamespace = (format: "yaml" | "json") => {
    const labels: Record<string, string> = {};
    for (let i = 0; i < 100_000; i++) labels[`k${i}`] = "v";
    return format === "json"
      ? JSON.stringify([{ apiVersion: "v1", kind: "Namespace", metadata: { name: "wide", labels } }])
      : `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: wide\n  labels:\n${labelsYaml(100_000)}`;
  };

  it("refuses a 100,000-label namespace bundle in YAML as it refuses the JSON one: same code, path, rule and size", async () => {
    const t = createTestApp();
    const asYaml = await t.call("POST", "/v1/apply", wideNamespace("yaml"), { type: "application/yaml" });
    const asJson = await t.call("POST", "/v1/apply", wideNamespace("json"));
    assert.equal(asJson.status, 422);
    assert.equal(asYaml.status, asJson.status);
    assert.deepStrictEqual(asYaml.body, asJson.body);
    assert.match(asYaml.body.error.message, /100000|100,000/);
  });

  it("refuses a YAML policy PUT with a wide map as it refuses the JSON one", async () => {
    const t = createTestApp();
    await t.call("PUT", "/v1/namespaces/shop", "{}");
    const matchLabels: Record<string, string> = {};
    for (let i = 0; i < 10_000; i++) matchLabels[`k${i}`] = "v";
    const json = JSON.stringify({ spec: { podSelector: { matchLabels }, policyTypes: ["Ingress"] } });
    const yaml = `spec:\n  podSelector:\n    matchLabels:\n${labelsYaml(10_000, "      ")}  policyTypes: [Ingress]\n`;
    const path = "/v1/namespaces/shop/networkpolicies/wide";
    const asJson = await t.call("PUT", path, json);
    const asYaml = await t.call("PUT", path, yaml, { type: "application/yaml" });
    assert.equal(asJson.status, 422);
    assert.deepStrictEqual(asYaml.body, asJson.body);
    assert.equal(asYaml.status, asJson.status);
  });

  it("refuses a body of two million one-digit values with 413 request.too_large, not a worker out of memory", async () => {
    const t = createTestApp();
    const res = await t.call("POST", "/v1/apply", `[${"1,".repeat(2_000_000)}1]`, {
      type: "application/yaml",
    });
    assert.equal(res.status, 413, JSON.stringify(res.body).slice(0, 300));
    assert.equal(res.body.error.code, "request.too_large");
    assert.match(res.body.error.message, /more than 600000 values and entries/);
    // Null sequence items are no scalars, and count alike.
    const nulls = await t.call("POST", "/v1/apply", "-\n".repeat(2_000_000), { type: "application/yaml" });
    assert.equal(nulls.status, 413);
    assert.equal(nulls.body.error.code, "request.too_large");
  });

  it("refuses 466,000 one-line documents with 413 request.too_large, and 5,001 with the bundle's own 413", async () => {
    const t = createTestApp();
    const many = await t.call("POST", "/v1/apply", "x: 1\n---\n".repeat(466_000), {
      type: "application/yaml",
    });
    assert.equal(many.status, 413);
    assert.equal(many.body.error.code, "request.too_large");
    assert.match(many.body.error.message, /more than 10000 documents/);
    const over = await t.call("POST", "/v1/apply", "x: 1\n---\n".repeat(5_001), { type: "application/yaml" });
    assert.equal(over.status, 413);
    assert.equal(over.body.error.code, "apply.too_many_documents");
  });

  it("keeps the event loop turning while a large YAML body parses", async () => {
    const t = createTestApp();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      const res = await t.call("POST", "/v1/apply", wideNamespace("yaml"), { type: "application/yaml" });
      assert.equal(res.status, 422);
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks >= 1, "a 5 ms timer fired while the body parsed");
  });

  it("answers a body whose worker dies with 500 request.yaml_parser_failed, no stack, and the next body gets a new worker", async () => {
    const t = createTestApp();
    await t.call("PUT", "/v1/namespaces/shop", "{}");
    let body = "";
    for (let i = 0; body.length <= YAML_INLINE_MAX_CHARS; i++) {
      body += `---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-${i}\n`;
    }
    await yamlWorker.stop(); // idle: the next body starts a worker of its own
    const started = yamlWorker.started;
    const answer = t.call("POST", "/v1/apply", body, { type: "application/yaml" });
    // The job is posted in the same turn the worker is started: once it exists, it is parsing.
    const deadline = Date.now() + 10_000;
    while (!yamlWorker.worker || yamlWorker.started === started) {
      assert.ok(Date.now() < deadline, "the body reached the worker");
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await yamlWorker.worker.terminate();
    const res = await answer;
    assert.equal(res.status, 500);
    assert.equal(res.body.error.code, "request.yaml_parser_failed");
    assert.match(res.body.error.message, /the YAML parser failed on this body/);
    assert.doesNotMatch(JSON.stringify(res.body), /\n\s+at /, "no stack in the answer");
    assert.equal(t.store.revision(), 1, "nothing applied");
    const logged = t.errorLogs();
    assert.equal(logged.length, 1, JSON.stringify(logged));
    assert.equal(logged[0]!.code, "request.yaml_parser_failed");
    assert.doesNotMatch(String(logged[0]!.error), /\n\s+at /, "no stack in the log line");
    const again = await t.call("POST", "/v1/apply", body, { type: "application/yaml" });
    assert.equal(again.status, 200, JSON.stringify(again.body).slice(0, 300));
    assert.equal(yamlWorker.started, started + 2, "a new worker parsed the next body");
  });
});

describe("YamlWorker", () => {
  it("refuses a body that outlasts its timeout and starts a new worker for the next", async () => {
    const worker = new YamlWorker({ timeoutMs: 1 });
    try {
      for (const attempt of [1, 2]) {
        await assert.rejects(worker.parse(PAD), (err: ApiError) => {
          assert.equal(err.code, "request.yaml_parser_failed");
          assert.match(err.message, /took over 1 ms/);
          return true;
        });
        assert.equal(worker.started, attempt);
      }
    } finally {
      await worker.stop();
    }
  });

  it("refuses a body with 429 request.yaml_busy once the queue holds more than its bound", async () => {
    const worker = new YamlWorker({ maxQueuedChars: PAD.length * 1.5 });
    try {
      const first = worker.parse(PAD); // running
      const second = worker.parse(PAD); // queued
      await assert.rejects(worker.parse(PAD), (err: ApiError) => err.code === "request.yaml_busy");
      await Promise.all([first, second]);
      await worker.parse(PAD); // the queue drained: accepted again
    } finally {
      await worker.stop();
    }
  });

  it("stops when asked, and a later body starts it again", async () => {
    const worker = new YamlWorker();
    await worker.parse(PAD);
    await worker.stop();
    assert.equal(worker.worker, undefined);
    assert.deepStrictEqual((await worker.parse(PAD)).cut, []);
    assert.equal(worker.started, 2);
    await worker.stop();
  });
});

describe("the YAML worker under the real executable", () => {
  it("node bin/palisade.mjs server parses a large YAML bundle in the worker and exits 0 on SIGTERM", async () => {
    // bin/palisade.mjs registers tsx in the main thread only (no --import): the worker loads alone.
    const bin = fileURLToPath(new URL("../../bin/palisade.mjs", import.meta.url));
    const child = spawn(process.execPath, [bin, "server", "--listen", "127.0.0.1:0", "--db", ":memory:"], {
      env: { ...process.env, PALISADE_ADMIN_TOKEN: "yaml-worker-test-token" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = once(child, "exit");
    try {
      let url = "";
      for await (const line of createInterface({ input: child.stdout! })) {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === "control plane listening") {
          url = entry.url!;
          break;
        }
      }
      assert.ok(url, "the server logged its address");
      let body = "";
      for (let i = 0; body.length <= YAML_INLINE_MAX_CHARS * 4; i++) {
        body += `---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-${i}\n`;
      }
      const res = await fetch(`${url}/v1/apply`, {
        method: "POST",
        headers: { authorization: "Bearer yaml-worker-test-token", "content-type": "application/yaml" },
        body,
      });
      const answer = (await res.json()) as { applied?: unknown[] };
      assert.equal(res.status, 200, JSON.stringify(answer).slice(0, 300));
      assert.ok((answer.applied?.length ?? 0) > 1000);
    } finally {
      child.kill("SIGTERM");
    }
    const [code] = await Promise.race([
      exited,
      new Promise<unknown[]>((resolve) =>
        setTimeout(() => resolve(["still running after 20 s"]), 20_000).unref(),
      ),
    ]);
    if (code !== 0) child.kill("SIGKILL");
    assert.equal(code, 0, "the server exited cleanly, the worker did not keep it alive");
  });
});
