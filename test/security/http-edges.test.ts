// Issue 10 section 7: a request body that cannot be read (the client aborts it, or its chunked
// encoding is malformed) is the client's fault: a 400 in the metrics, a warn line without a stack,
// even before authentication; and `POST /v1/webhook-receivers` takes an absent body as {}.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { type RunningServer, startServer } from "../../api/main.ts";
import { createTestApp } from "../../api/testing.ts";

const TOKEN = "http-edges-admin-token";

/** Writes raw bytes on a fresh connection; `abort` destroys it instead of half-closing. Resolves with what came back. */
function rawRequest(url: string, bytes: string, how: "end" | "abort"): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    let answer = "";
    const socket = connect(Number(port), hostname, () => {
      socket.write(bytes);
      setTimeout(() => (how === "end" ? socket.end() : socket.destroy()), 50);
    });
    socket.on("data", (d) => {
      answer += d;
    });
    socket.on("close", () => resolve(answer));
    socket.on("error", () => resolve(answer));
  });
}

const chunked = (path: string, auth: boolean) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\n${auth ? `Authorization: Bearer ${TOKEN}\r\n` : ""}` +
  "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

/** Polls until the server has counted `n` requests with a status (the abort is seen asynchronously). */
async function requestCounts(url: string): Promise<Map<string, number>> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const counts = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    const m = /^palisade_http_requests_total\{(.*)\} (\d+)$/.exec(line);
    if (!m) continue;
    const status = /status="(\d+)"/.exec(m[1]!)![1]!;
    counts.set(status, (counts.get(status) ?? 0) + Number(m[2]));
  }
  return counts;
}

describe("unreadable request bodies", () => {
  let server: RunningServer;
  const logs: Record<string, unknown>[] = [];
  before(async () => {
    server = await startServer({
      listen: "127.0.0.1:0",
      dbPath: ":memory:",
      adminToken: TOKEN,
      log: (l) => logs.push(l),
    });
  });
  after(() => server.close());

  it("answers 400, counts 400 and logs a warn line without a stack, authenticated or not", async () => {
    const sent = [
      // malformed chunk size, without and with a token
      { bytes: `${chunked("/v1/apply", false)}zz\r\nabc\r\n0\r\n\r\n`, how: "end" as const },
      { bytes: `${chunked("/v1/apply", true)}5\r\n[{"a"\r\nzz\r\n`, how: "end" as const },
      // aborted mid-body, without and with a token, and on an inbound hook (its own body limit)
      { bytes: `${chunked("/v1/apply", false)}5\r\n[{"a"\r\n`, how: "abort" as const },
      { bytes: `${chunked("/v1/apply", true)}5\r\n[{"a"\r\n`, how: "abort" as const },
      { bytes: `${chunked("/v1/hooks/nosuch", false)}5\r\n[{"a"\r\n`, how: "abort" as const },
      // aborted before its Content-Length was reached
      {
        bytes: `POST /v1/apply HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[{"a"`,
        how: "abort" as const,
      },
    ];
    for (const { bytes, how } of sent) {
      const answer = await rawRequest(server.url, bytes, how);
      if (how === "end") assert.match(answer, /^HTTP\/1\.1 400 /);
    }
    let counts = await requestCounts(server.url);
    for (let i = 0; i < 100 && (counts.get("400") ?? 0) < sent.length; i++) {
      await new Promise((r) => setTimeout(r, 20));
      counts = await requestCounts(server.url);
    }
    assert.equal(counts.get("500"), undefined, `no 500 counted: ${JSON.stringify([...counts])}`);
    assert.equal(counts.get("400"), sent.length, JSON.stringify([...counts]));
    assert.deepEqual(
      logs.filter((l) => l.level === "error"),
      [],
    );
    const warned = logs.filter((l) => l.level === "warn" && l.msg === "request body unreadable");
    assert.equal(warned.length, sent.length, JSON.stringify(logs));
    for (const line of warned) {
      assert.doesNotMatch(JSON.stringify(line), /\\n\s+at /, "no stack in the log line");
      assert.ok(line.method === "POST" && typeof line.path === "string");
    }
  });

  it("creates a webhook receiver from a request without a body (the body is optional)", async () => {
    const answer = await rawRequest(
      server.url,
      `POST /v1/webhook-receivers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`,
      "end",
    );
    assert.match(answer, /^HTTP\/1\.1 201 /, answer);
    assert.match(answer, /"kind":"standard"/);
  });
});

describe("POST /v1/webhook-receivers with an empty body", () => {
  it("takes an empty or blank body as {} and still refuses a malformed one", async () => {
    const t = createTestApp();
    for (const body of ["", "  \n"]) {
      const res = await t.call("POST", "/v1/webhook-receivers", body);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual([res.body.kind, res.body.description], ["standard", ""]);
    }
    const stream = new ReadableStream({ start: (c) => c.close() });
    assert.equal((await t.call("POST", "/v1/webhook-receivers", stream)).status, 201);
    const bad = await t.call("POST", "/v1/webhook-receivers", "{");
    assert.deepEqual([bad.status, bad.body.error.code], [400, "request.invalid_json"]);
    const wrong = await t.call("POST", "/v1/webhook-receivers", JSON.stringify({ kind: "gitlab" }));
    assert.equal(wrong.status, 422);
  });
});
