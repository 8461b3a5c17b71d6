// Tests `palisade token create|list|revoke` against a fake API.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  type CannedAnswer,
  type FakeApi,
  type RecordedRequest,
  runAgainst,
  startFakeApi,
} from "./testing.ts";

const created = {
  id: "tok_7",
  token: "pls_secret_value",
  scope: "read",
  description: "dashboards",
  createdAt: "2026-11-26T10:00:00Z",
};

let api: FakeApi;
let answer: (request: RecordedRequest) => CannedAnswer;

before(async () => {
  api = await startFakeApi((request) => answer(request));
});
after(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
  answer = () => ({ json: {} });
});

describe("palisade token", () => {
  test("token create posts the scope and description and prints the token alone on stdout", async () => {
    answer = () => ({ status: 201, json: created });
    const { code, out, err } = await runAgainst(api, [
      "token",
      "create",
      "--scope",
      "read",
      "--description",
      "dashboards",
    ]);
    assert.equal(code, 0);
    const [request] = api.requests;
    assert.equal(request?.method, "POST");
    assert.equal(request?.path, "/v1/tokens");
    assert.equal(request?.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(request?.body ?? ""), { scope: "read", description: "dashboards" });
    assert.equal(out, "pls_secret_value\n");
    assert.match(err, /Created token tok_7 with scope read/);
    assert.match(err, /shown only once/);
  });

  test("token create sends an empty description when none is given", async () => {
    await runAgainst(api, ["token", "create", "--scope", "admin"]);
    assert.deepEqual(JSON.parse(api.requests[0]?.body ?? ""), { scope: "admin", description: "" });
  });

  test("token create without --scope, or with another scope, is a usage error", async () => {
    const missing = await runAgainst(api, ["token", "create"]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /flag --scope is required/);
    const wrong = await runAgainst(api, ["token", "create", "--scope", "write"]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.err, /--scope must be one of admin, read; got "write"/);
    assert.equal(api.requests.length, 0);
  });

  test("token list reads GET /v1/tokens and shows a table with revoked tokens marked", async () => {
    answer = () => ({
      json: [
        { id: "tok_1", scope: "admin", description: "ops", createdAt: "2026-11-01T00:00:00Z" },
        {
          id: "tok_2",
          scope: "read",
          description: "old",
          createdAt: "2026-10-01T00:00:00Z",
          revokedAt: "2026-11-02T00:00:00Z",
        },
      ],
    });
    const { code, out } = await runAgainst(api, ["token", "list"]);
    assert.equal(code, 0);
    assert.deepEqual(
      api.requests.map((r) => `${r.method} ${r.path}`),
      ["GET /v1/tokens"],
    );
    assert.equal(
      out,
      [
        "ID      SCOPE   DESCRIPTION   CREATED                REVOKED",
        "tok_1   admin   ops           2026-11-01T00:00:00Z   <none>",
        "tok_2   read    old           2026-10-01T00:00:00Z   2026-11-02T00:00:00Z",
        "",
      ].join("\n"),
    );
  });

  test("token revoke sends DELETE /v1/tokens/ID", async () => {
    answer = () => ({ status: 204, text: "" });
    const { code, out } = await runAgainst(api, ["token", "revoke", "tok_2"]);
    assert.equal(code, 0);
    assert.deepEqual(
      api.requests.map((r) => `${r.method} ${r.path} ${r.headers.authorization}`),
      ["DELETE /v1/tokens/tok_2 Bearer test-token"],
    );
    assert.equal(out, "token tok_2 revoked\n");
  });

  test("token revoke without an ID is a usage error", async () => {
    const { code, err } = await runAgainst(api, ["token", "revoke"]);
    assert.equal(code, 2);
    assert.match(err, /missing argument ID/);
  });

  test("a read token refused for token create gets a hint about scopes", async () => {
    answer = () => ({
      status: 403,
      json: { error: { code: "auth.forbidden", message: "needs scope admin" } },
    });
    const { code, err } = await runAgainst(api, ["token", "create", "--scope", "read"]);
    assert.equal(code, 1);
    assert.equal(
      err,
      "error: auth.forbidden: needs scope admin (HTTP 403)\nhint: this needs an admin token (read tokens may only read and evaluate)\n",
    );
  });
});
