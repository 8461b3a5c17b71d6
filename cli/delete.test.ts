// Tests `palisade delete` against a fake API: the DELETE it sends and what it prints.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  type CannedAnswer,
  type FakeApi,
  type RecordedRequest,
  runAgainst,
  startFakeApi,
} from "./testing.ts";

let api: FakeApi;
let answer: (request: RecordedRequest) => CannedAnswer;

before(async () => {
  api = await startFakeApi((request) => answer(request));
});
after(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
  answer = () => ({ json: { revision: 8 } });
});

describe("palisade delete", () => {
  test("delete netpol sends DELETE to the policy in the given namespace and prints the revision", async () => {
    const { code, out } = await runAgainst(api, ["delete", "netpol", "deny-all", "-n", "prod"]);
    assert.equal(code, 0);
    assert.deepEqual(
      api.requests.map((r) => [r.method, r.path, r.headers.authorization]),
      [["DELETE", "/v1/namespaces/prod/networkpolicies/deny-all", "Bearer test-token"]],
    );
    assert.equal(out, 'networkpolicy "deny-all" in namespace prod deleted (revision 8)\n');
  });

  test("delete ns and delete ep reach their routes, endpoints in namespace default by default", async () => {
    await runAgainst(api, ["delete", "ns", "staging"]);
    await runAgainst(api, ["delete", "endpoint", "web-1"]);
    assert.deepEqual(
      api.requests.map((r) => `${r.method} ${r.path}`),
      ["DELETE /v1/namespaces/staging", "DELETE /v1/namespaces/default/endpoints/web-1"],
    );
  });

  test("an answer without a revision still confirms the deletion", async () => {
    answer = () => ({ status: 204, text: "" });
    const { code, out } = await runAgainst(api, ["delete", "ns", "staging"]);
    assert.equal(code, 0);
    assert.equal(out, 'namespace "staging" deleted\n');
  });

  test("delete without a NAME is a usage error naming the missing argument", async () => {
    const { code, err } = await runAgainst(api, ["delete", "ns"]);
    assert.equal(code, 2);
    assert.match(err, /missing argument NAME/);
    assert.equal(api.requests.length, 0);
  });

  test("deleting tokens points to token revoke", async () => {
    const { code, err } = await runAgainst(api, ["delete", "tokens", "tok_1"]);
    assert.equal(code, 2);
    assert.match(err, /palisade token revoke ID/);
  });

  test("deleting the revision is a usage error listing the deletable kinds", async () => {
    const { code, err } = await runAgainst(api, ["delete", "revision", "3"]);
    assert.equal(code, 2);
    assert.match(err, /cannot delete "revision"; kinds: namespaces \(namespace, ns\), endpoints/);
  });

  test("a missing object prints the API's not-found error and exits 1", async () => {
    answer = () => ({
      status: 404,
      json: { error: { code: "not_found", message: 'namespace "nope" not found' } },
    });
    const { code, err } = await runAgainst(api, ["delete", "ns", "nope"]);
    assert.equal(code, 1);
    assert.equal(err, 'error: not_found: namespace "nope" not found (HTTP 404)\n');
  });
});
