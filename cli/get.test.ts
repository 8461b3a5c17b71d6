// Tests `palisade get` against a fake API: the exact requests, tables and -o formats.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { parse } from "yaml";
import {
  type CannedAnswer,
  type FakeApi,
  type RecordedRequest,
  runAgainst,
  startFakeApi,
} from "./testing.ts";

const namespaces = {
  items: [
    { name: "default", labels: { "kubernetes.io/metadata.name": "default" } },
    { name: "production", labels: { "kubernetes.io/metadata.name": "production", team: "core" } },
  ],
};
const endpoints = {
  items: [
    {
      namespace: "prod",
      name: "web-1",
      labels: { app: "web" },
      node: "node-a",
      interface: "veth1",
      ips: ["10.0.0.5", "fd00::5"],
      ports: [
        { name: "http", port: 8080, protocol: "TCP" },
        { name: "", port: 53, protocol: "UDP" },
      ],
    },
  ],
};
const policies = [
  {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "allow-web", namespace: "prod" },
    spec: {
      podSelector: {
        matchLabels: { app: "web" },
        matchExpressions: [{ key: "tier", operator: "In", values: ["a", "b"] }],
      },
      policyTypes: ["Ingress"],
    },
  },
  { metadata: { name: "deny-all", namespace: "prod" }, spec: { podSelector: {} } },
];

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

function only(requests: RecordedRequest[]): RecordedRequest {
  assert.equal(requests.length, 1);
  return requests[0]!;
}

describe("palisade get", () => {
  test("get namespaces lists them with GET /v1/namespaces and the bearer token", async () => {
    answer = () => ({ json: namespaces });
    const { code, out } = await runAgainst(api, ["get", "namespaces"]);
    assert.equal(code, 0);
    const request = only(api.requests);
    assert.equal(request.method, "GET");
    assert.equal(request.path, "/v1/namespaces");
    assert.equal(request.headers.authorization, "Bearer test-token");
    assert.equal(request.headers.accept, "application/json");
    assert.equal(
      out,
      [
        "NAME         LABELS",
        "default      kubernetes.io/metadata.name=default",
        "production   kubernetes.io/metadata.name=production,team=core",
        "",
      ].join("\n"),
    );
  });

  test("every alias of every kind reaches the same route", async () => {
    const cases: [string[], string][] = [
      [["ns"], "/v1/namespaces"],
      [["namespace", "prod"], "/v1/namespaces/prod"],
      [["ep"], "/v1/namespaces/default/endpoints"],
      [["endpoints", "web-1", "-n", "prod"], "/v1/namespaces/prod/endpoints/web-1"],
      [["endpoint", "--namespace=prod"], "/v1/namespaces/prod/endpoints"],
      [["netpol", "-n", "prod"], "/v1/namespaces/prod/networkpolicies"],
      [["networkpolicy", "deny-all"], "/v1/namespaces/default/networkpolicies/deny-all"],
      [["NetworkPolicies"], "/v1/namespaces/default/networkpolicies"],
      [["revision"], "/v1/revision"],
      [["rev"], "/v1/revision"],
      [["tokens"], "/v1/tokens"],
    ];
    for (const [args, path] of cases) {
      api.requests.length = 0;
      const { code } = await runAgainst(api, ["get", ...args]);
      assert.equal(code, 0, args.join(" "));
      assert.equal(only(api.requests).path, path, args.join(" "));
    }
  });

  test("names and namespaces are escaped so they cannot change the route", async () => {
    await runAgainst(api, ["get", "ep", "a/b?c", "-n", "x y"]);
    assert.equal(only(api.requests).path, "/v1/namespaces/x%20y/endpoints/a%2Fb%3Fc");
  });

  test("endpoints show node, interface, IPs, ports and labels in aligned columns", async () => {
    answer = () => ({ json: endpoints });
    const { out } = await runAgainst(api, ["get", "ep", "-n", "prod"]);
    assert.equal(
      out,
      [
        "NAME    NODE     INTERFACE   IPS                PORTS                  LABELS",
        "web-1   node-a   veth1       10.0.0.5,fd00::5   http:8080/TCP,53/UDP   app=web",
        "",
      ].join("\n"),
    );
  });

  test("network policies show their pod selector as kubectl does, <none> when empty", async () => {
    answer = () => ({ json: policies });
    const { out } = await runAgainst(api, ["get", "netpol", "-n", "prod"]);
    assert.equal(
      out,
      [
        "NAME        POD-SELECTOR            POLICY-TYPES",
        "allow-web   app=web,tier in (a,b)   Ingress",
        "deny-all    <none>                  <none>",
        "",
      ].join("\n"),
    );
  });

  test("a single object fetched by name is shown as a one-row table", async () => {
    answer = () => ({ json: { name: "prod", labels: { a: "1" }, revision: 7 } });
    const { out } = await runAgainst(api, ["get", "ns", "prod"]);
    assert.equal(out, "NAME   LABELS   REVISION\nprod   a=1      7\n");
  });

  test("get revision prints the current revision", async () => {
    answer = () => ({ json: { revision: 42 } });
    const { out } = await runAgainst(api, ["get", "revision"]);
    assert.equal(out, "REVISION\n42\n");
  });

  test("get tokens shows id, scope, description and creation time, never a secret", async () => {
    answer = () => ({
      json: { items: [{ id: "tok_1", scope: "read", description: "ci", createdAt: "2026-11-26T10:00:00Z" }] },
    });
    const { out } = await runAgainst(api, ["get", "tokens"]);
    assert.equal(
      out,
      "ID      SCOPE   DESCRIPTION   CREATED\ntok_1   read    ci            2026-11-26T10:00:00Z\n",
    );
  });

  test("an empty list says so on stderr and prints nothing on stdout", async () => {
    answer = () => ({ json: { items: [] } });
    const { code, out, err } = await runAgainst(api, ["get", "netpol", "-n", "prod"]);
    assert.equal(code, 0);
    assert.equal(out, "");
    assert.equal(err, "No networkpolicies found in namespace prod.\n");
  });

  test("-o json prints the answer exactly as received", async () => {
    answer = () => ({ json: endpoints });
    const { out } = await runAgainst(api, ["get", "ep", "-o", "json"]);
    assert.deepEqual(JSON.parse(out), endpoints);
  });

  test("-o yaml prints the answer as YAML", async () => {
    answer = () => ({ json: namespaces });
    const { out } = await runAgainst(api, ["get", "ns", "-o", "yaml"]);
    assert.deepEqual(parse(out), namespaces);
  });

  test("an unknown kind is a usage error listing the kinds, and nothing is requested", async () => {
    const { code, err } = await runAgainst(api, ["get", "pods"]);
    assert.equal(code, 2);
    assert.match(err, /unknown kind "pods"; kinds: namespaces \(namespace, ns\), endpoints/);
    assert.equal(api.requests.length, 0);
  });

  test("a NAME for revision or tokens is a usage error", async () => {
    assert.equal((await runAgainst(api, ["get", "revision", "3"])).code, 2);
    assert.equal((await runAgainst(api, ["get", "tokens", "tok_1"])).code, 2);
    assert.equal(api.requests.length, 0);
  });

  test("an unknown -o format is a usage error naming the choices", async () => {
    const { code, err } = await runAgainst(api, ["get", "ns", "-o", "wide"]);
    assert.equal(code, 2);
    assert.match(err, /--output must be one of table, json, yaml; got "wide"/);
  });
});

describe("server and token resolution", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "palisade-cli-"));
    await mkdir(join(dir, "data"));
    await writeFile(join(dir, "data", "admin-token"), "file-token\n", { mode: 0o600 });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test("--server and --token flags beat PALISADE_SERVER and PALISADE_TOKEN", async () => {
    await runAgainst(api, ["get", "ns", "--server", `${api.url}/`, "--token", "flag-token"], {
      env: { PALISADE_SERVER: "http://127.0.0.1:1" },
    });
    assert.equal(only(api.requests).headers.authorization, "Bearer flag-token");
  });

  test("without --token or PALISADE_TOKEN the token is read from ./data/admin-token", async () => {
    await runAgainst(api, ["get", "ns"], { env: { PALISADE_TOKEN: undefined }, io: { cwd: dir } });
    assert.equal(only(api.requests).headers.authorization, "Bearer file-token");
  });

  test("PALISADE_TOKEN beats ./data/admin-token", async () => {
    await runAgainst(api, ["get", "ns"], { io: { cwd: dir } });
    assert.equal(only(api.requests).headers.authorization, "Bearer test-token");
  });

  test("with no token anywhere no Authorization header is sent", async () => {
    await runAgainst(api, ["get", "ns"], { env: { PALISADE_TOKEN: undefined } });
    assert.equal(only(api.requests).headers.authorization, undefined);
  });

  test("a --server that is not an http URL is a usage error", async () => {
    const { code, err } = await runAgainst(api, ["get", "ns", "--server", "127.0.0.1:7400"]);
    assert.equal(code, 2);
    assert.match(
      err,
      /--server \(or PALISADE_SERVER\) must be an http:\/\/ or https:\/\/ URL; got "127.0.0.1:7400"/,
    );
  });
});
