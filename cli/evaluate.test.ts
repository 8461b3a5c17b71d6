// Tests `palisade evaluate` against a fake API: the request body and the verdict it prints.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { describeEvaluation } from "./evaluate.ts";
import {
  type CannedAnswer,
  type FakeApi,
  type RecordedRequest,
  runAgainst,
  startFakeApi,
} from "./testing.ts";

// The shape api/evaluate answers: each direction is null when that side is not an endpoint.
const verdict = {
  verdict: "deny",
  egress: {
    verdict: "allow",
    reason: "policy_allowed",
    node: "node-a",
    endpoint: "prod/web",
    policy: { namespace: "prod", name: "web-egress", ruleIndex: 1 },
  },
  ingress: {
    verdict: "deny",
    reason: "policy_denied",
    node: "node-b",
    endpoint: "prod/db",
    policy: { namespace: "prod", name: "db-ingress", ruleIndex: 0 },
  },
  revision: 12,
};

let api: FakeApi;
let answer: (request: RecordedRequest) => CannedAnswer;

before(async () => {
  api = await startFakeApi((request) => answer(request));
});
after(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
  answer = () => ({ json: verdict });
});

describe("palisade evaluate", () => {
  test("endpoints are sent as namespace and name, with protocol and port", async () => {
    const { code } = await runAgainst(api, [
      "evaluate",
      "--from",
      "prod/web",
      "--to",
      "prod/db",
      "--port",
      "5432",
    ]);
    assert.equal(code, 0);
    const [request] = api.requests;
    assert.equal(request?.method, "POST");
    assert.equal(request?.path, "/v1/evaluate");
    assert.equal(request?.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(request?.body ?? ""), {
      source: { endpoint: { namespace: "prod", name: "web" } },
      destination: { endpoint: { namespace: "prod", name: "db" } },
      protocol: "TCP",
      port: 5432,
    });
  });

  test("IPv4 and IPv6 addresses are sent as ip, the protocol upper-cased, port 80 by default", async () => {
    await runAgainst(api, ["evaluate", "--from=203.0.113.7", "--to", "fd00::5", "--protocol", "udp"]);
    assert.deepEqual(JSON.parse(api.requests[0]?.body ?? ""), {
      source: { ip: "203.0.113.7" },
      destination: { ip: "fd00::5" },
      protocol: "UDP",
      port: 80,
    });
  });

  test("the verdict is printed with each direction and the policy and rule that decided it", async () => {
    const { out } = await runAgainst(api, ["evaluate", "--from", "prod/web", "--to", "prod/db"]);
    assert.equal(
      out,
      [
        "verdict: deny (revision 12)",
        "  egress of prod/web:  allow  policy_allowed, policy prod/web-egress rule egress[1]",
        "  ingress of prod/db:  deny   policy_denied, policy prod/db-ingress",
        "",
      ].join("\n"),
    );
  });

  test("-o json prints the answer as received", async () => {
    const { out } = await runAgainst(api, ["evaluate", "--from", "a/b", "--to", "c/d", "-o", "json"]);
    assert.deepEqual(JSON.parse(out), verdict);
  });

  test("--from and --to are both required", async () => {
    const missingTo = await runAgainst(api, ["evaluate", "--from", "a/b"]);
    assert.equal(missingTo.code, 2);
    assert.match(missingTo.err, /flag --to is required/);
    const missingFrom = await runAgainst(api, ["evaluate", "--to", "a/b"]);
    assert.match(missingFrom.err, /flag --from is required/);
    assert.equal(api.requests.length, 0);
  });

  test("a peer that is neither NS/NAME nor an IP is a usage error naming the flag and value", async () => {
    const { code, err } = await runAgainst(api, ["evaluate", "--from", "web", "--to", "a/b"]);
    assert.equal(code, 2);
    assert.match(err, /--from must be NAMESPACE\/NAME or an IP address; got "web"/);
  });

  test("a port outside 1-65535 and an unknown protocol are usage errors", async () => {
    for (const port of ["0", "65536", "http", "8.5"]) {
      const { code, err } = await runAgainst(api, [
        "evaluate",
        "--from",
        "a/b",
        "--to",
        "c/d",
        "--port",
        port,
      ]);
      assert.equal(code, 2, port);
      assert.match(err, /--port must be a whole number from 1 to 65535/);
    }
    const { code, err } = await runAgainst(api, [
      "evaluate",
      "--from",
      "a/b",
      "--to",
      "c/d",
      "--protocol",
      "GRE",
    ]);
    assert.equal(code, 2);
    assert.match(err, /--protocol must be one of TCP, UDP, SCTP, ICMP, ICMPv6; got "GRE"/);
    assert.equal(api.requests.length, 0);
  });

  test("ICMP is sent with port 0 whatever --port says, and icmpv6 is spelled as the API expects", async () => {
    await runAgainst(api, [
      "evaluate",
      "--from",
      "a/b",
      "--to",
      "c/d",
      "--protocol",
      "icmpv6",
      "--port",
      "443",
    ]);
    const body = JSON.parse(api.requests[0]?.body ?? "");
    assert.equal(body.protocol, "ICMPv6");
    assert.equal(body.port, 0);
  });
});

describe("describeEvaluation", () => {
  test("a side that is a bare IP is reported as not checked", () => {
    const text = describeEvaluation({
      verdict: "allow",
      egress: null,
      ingress: { verdict: "allow", reason: "not_isolated", node: "n", endpoint: "prod/web" },
    });
    assert.equal(
      text,
      [
        "verdict: allow",
        "  egress:               not checked (the source is not an endpoint, so no egress policy applies)",
        "  ingress of prod/web:  allow  not_isolated",
        "",
      ].join("\n"),
    );
  });
});
