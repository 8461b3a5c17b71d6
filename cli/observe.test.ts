// Tests `palisade observe` against a fake API: the query it sends, each output format with the
// policy and rule on every line, missing nodes on stderr, and -f reading Server-Sent Events.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { compactLine } from "./observe.ts";
import {
  type CannedAnswer,
  type FakeApi,
  type RecordedRequest,
  runAgainst,
  startFakeApi,
} from "./testing.ts";

const drop = {
  time: "2026-12-07T22:01:02.345Z",
  node: "node-a",
  endpoint: { namespace: "shop", name: "db" },
  direction: "ingress",
  verdict: "dropped",
  reason: "POLICY_DENIED",
  protocol: "TCP",
  source: { address: "10.0.0.1", port: 40312, namespace: "shop", pod: "web", labels: { app: "web" } },
  destination: { address: "10.0.0.2", port: 5432, namespace: "shop", pod: "db", labels: { app: "db" } },
  policy: {
    kind: "DefaultDeny",
    isolatedBy: { kind: "NetworkPolicy", namespace: "shop", name: "db-ingress" },
  },
};
const allowed = {
  ...drop,
  time: "2026-12-07T22:01:03.000Z",
  verdict: "allowed",
  reason: "POLICY",
  source: { address: "203.0.113.9", port: 999, identity: "world" },
  policy: { kind: "NetworkPolicy", namespace: "shop", name: "db-from-world", rule: 2 },
};

let api: FakeApi;
let answer: (request: RecordedRequest) => CannedAnswer;
before(async () => {
  api = await startFakeApi((request) => answer(request));
});
after(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
  answer = () => ({
    json: {
      flows: [drop, allowed],
      nodes: { answered: ["node-a"], missing: [{ node: "node-b", reason: "timeout" }] },
    },
  });
});

describe("palisade observe", () => {
  test("sends the filters as query parameters and prints a table with the policy on every row", async () => {
    const r = await runAgainst(api, [
      "observe",
      "--namespace",
      "shop",
      "--to",
      "shop/db",
      "--verdict",
      "dropped",
      "--protocol",
      "tcp",
      "--port",
      "5432",
      "--since",
      "5m",
      "--limit",
      "50",
    ]);
    assert.equal(r.code, 0, r.err);
    assert.equal(
      api.requests[0]?.path,
      "/v1/flows?namespace=shop&to=shop%2Fdb&verdict=dropped&protocol=tcp&port=5432&since=5m&limit=50",
    );
    const lines = r.out.trimEnd().split("\n");
    assert.match(
      lines[0]!,
      /^TIME\s+NODE\s+VERDICT\s+DIRECTION\s+SOURCE\s+DESTINATION\s+PROTOCOL\s+REASON\s+POLICY$/,
    );
    assert.match(
      lines[1]!,
      /DROPPED\s+ingress\s+shop\/web:40312\s+shop\/db:5432\s+TCP\s+POLICY_DENIED\s+default deny \(shop\/db-ingress\)$/,
    );
    assert.match(lines[2]!, /ALLOWED .*203\.0\.113\.9:999 \(world\).*shop\/db-from-world rule 2$/);
    assert.equal(r.err, "palisade observe: no answer from node node-b (timeout)\n");
  });

  test("-o json prints one flow per line as received; -o compact one line with the policy", async () => {
    const json = await runAgainst(api, ["observe", "-o", "json"]);
    assert.deepEqual(
      json.out
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l)),
      [drop, allowed],
    );
    const compact = await runAgainst(api, ["observe", "-o", "compact"]);
    assert.equal(
      compact.out.split("\n")[0],
      "2026-12-07 22:01:02.345 node-a: shop/web:40312 -> shop/db:5432 TCP DROPPED (POLICY_DENIED) ingress policy default deny (shop/db-ingress)",
    );
    assert.equal(compactLine(allowed).endsWith("policy shop/db-from-world rule 2"), true);
  });

  test("a refused filter prints the server's issue and fails", async () => {
    answer = () => ({
      status: 422,
      json: {
        error: {
          code: "flows_query.invalid",
          message: "flows_query is invalid: since: must be an ISO 8601 time or a duration like 30s, 5m, 2h",
          issues: [{ path: "since", rule: "invalid", message: "must be ...", value: "yesterday" }],
        },
      },
    });
    const r = await runAgainst(api, ["observe", "--since", "yesterday"]);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /flows_query\.invalid/);
  });

  test("-f reads the event stream: flows as they come, comments on stderr", async () => {
    answer = () => ({
      text: `event: flow\ndata: ${JSON.stringify(drop)}\n\n: keepalive\n\n: missing node-b (timeout)\n\nevent: flow\ndata: ${JSON.stringify(allowed)}\n\n`,
    });
    const r = await runAgainst(api, ["observe", "-f", "-o", "compact", "--verdict", "dropped"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(api.requests[0]?.path, "/v1/flows?follow=true&verdict=dropped");
    assert.equal(r.out.trimEnd().split("\n").length, 2);
    assert.match(r.out, /DROPPED \(POLICY_DENIED\)/);
    assert.equal(r.err, "palisade observe: missing node-b (timeout)\n");
    const table = await runAgainst(api, ["observe", "--follow"]);
    assert.match(table.out.split("\n")[0]!, /^TIME\s+NODE/);
    assert.match(table.out.split("\n")[1]!, /default deny \(shop\/db-ingress\)$/);
  });

  test("an unknown verdict is a usage error before any request", async () => {
    const r = await runAgainst(api, ["observe", "--verdict", "maybe"]);
    assert.equal(r.code, 2);
    assert.equal(api.requests.length, 0);
  });
});
