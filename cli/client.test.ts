// Tests how client commands report API errors, non-JSON answers, refused tokens and no server.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { runCli } from "./run.ts";
import { captureIo, type FakeApi, runAgainst, startFakeApi } from "./testing.ts";

describe("client failures", () => {
  let api: FakeApi;
  let status = 500;
  let body: { json?: unknown; text?: string } = {};
  before(async () => {
    api = await startFakeApi(() => ({ status, ...body }));
  });
  after(() => api.close());

  test("an error answer without issues prints its code and message and exits 1", async () => {
    status = 409;
    body = { json: { error: { code: "conflict", message: "namespace prod is not empty", issues: [] } } };
    const { code, out, err } = await runAgainst(api, ["get", "ns"]);
    assert.equal(code, 1);
    assert.equal(out, "");
    assert.equal(err, "error: conflict: namespace prod is not empty (HTTP 409)\n");
  });

  test("an issue without a path prints just its message", async () => {
    status = 400;
    body = {
      json: {
        error: { code: "apply.invalid", message: "bad", issues: [{ path: "", message: "empty body" }] },
      },
    };
    const { err } = await runAgainst(api, ["get", "ns"]);
    assert.equal(err, "error: apply.invalid: bad (HTTP 400)\n  empty body\n");
  });

  test("an error answer that is not JSON still shows the status and the start of the body", async () => {
    status = 502;
    body = { text: "upstream gone" };
    const { code, err } = await runAgainst(api, ["get", "ns"]);
    assert.equal(code, 1);
    assert.equal(err, "error: http.502: upstream gone (HTTP 502)\n");
  });

  test("a 401 without any token explains where tokens come from", async () => {
    status = 401;
    body = { json: { error: { code: "auth.missing", message: "Authorization header required" } } };
    const { err } = await runAgainst(api, ["get", "ns"], { env: { PALISADE_TOKEN: undefined } });
    assert.match(err, /^error: auth.missing: Authorization header required \(HTTP 401\)\n/);
    assert.match(
      err,
      /hint: no token was sent: pass --token, set PALISADE_TOKEN, or run from the directory holding data\/admin-token/,
    );
  });

  test("a 401 with a token says the token was refused", async () => {
    status = 401;
    body = { json: { error: { code: "auth.invalid", message: "unknown token" } } };
    const { err } = await runAgainst(api, ["get", "ns"]);
    assert.match(err, /hint: the token was refused: check --token or PALISADE_TOKEN/);
  });

  test("a success answer that is not JSON is an error, not a crash", async () => {
    status = 200;
    body = { text: "<html>" };
    const { code, err } = await runAgainst(api, ["get", "ns"]);
    assert.equal(code, 1);
    assert.match(err, /GET \/v1\/namespaces answered with something that is not JSON: <html>/);
  });
});

describe("a server that is not running", () => {
  test("connection refused names the URL and says how to start a server, exit 1", async () => {
    const api = await startFakeApi();
    const url = api.url;
    await api.close();
    const io = captureIo();
    const code = await runCli(["get", "ns"], { PALISADE_SERVER: url }, io);
    assert.equal(code, 1);
    assert.equal(io.out(), "");
    assert.equal(
      io.err(),
      `error: the server is not reachable at ${url} (connection refused).\n` +
        "Start a control plane with `palisade server`, or point --server (env PALISADE_SERVER) at a running one.\n",
    );
  });

  test("a fetch that fails without a cause still reports the server as unreachable", async () => {
    const io = captureIo({
      fetch: async () => {
        throw new TypeError("fetch failed");
      },
    });
    const code = await runCli(["token", "list", "--server", "http://example.invalid:7400"], {}, io);
    assert.equal(code, 1);
    assert.match(
      io.err(),
      /^error: the server is not reachable at http:\/\/example.invalid:7400 \(fetch failed\)\./,
    );
  });
});
