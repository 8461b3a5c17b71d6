// Tests the client commands against the real control plane (api/main.ts, in-memory database).
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { startServer } from "../api/main.ts";
import { runCli } from "./run.ts";
import { captureIo } from "./testing.ts";

const ADMIN = "cli-test-admin-token";
const bundle = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: palisade.dev/v1
kind: Endpoint
metadata: {namespace: shop, name: web}
spec: {labels: {app: web}, node: node-a, interface: veth-web, ips: [10.1.0.5], ports: []}
---
apiVersion: palisade.dev/v1
kind: Endpoint
metadata: {namespace: shop, name: db}
spec: {labels: {app: db}, node: node-a, interface: veth-db, ips: [10.1.0.6], ports: [{name: pg, port: 5432, protocol: TCP}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {namespace: shop, name: db-ingress}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: pg}]
`;

describe("the CLI against the real control plane", () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    server = await startServer({
      listen: "127.0.0.1:0",
      dbPath: ":memory:",
      adminToken: ADMIN,
      log: () => {},
    });
  });
  after(() => server.close());

  async function palisade(argv: string[], options: { token?: string; stdin?: string } = {}) {
    const io = captureIo(options.stdin === undefined ? {} : { stdin: Readable.from([options.stdin]) });
    const env = { PALISADE_SERVER: server.url, PALISADE_TOKEN: options.token ?? ADMIN };
    const code = await runCli(argv, env, io);
    return { code, out: io.out(), err: io.err() };
  }

  test("apply, get, evaluate, token and delete work end to end", async () => {
    const applied = await palisade(["apply", "-f", "-"], { stdin: bundle });
    assert.equal(applied.err, "");
    assert.match(applied.out, /^namespace shop created\nendpoint shop\/web created\n/m);
    assert.match(applied.out, /networkpolicy shop\/db-ingress created\nrevision \d+\n$/);

    const policies = await palisade(["get", "netpol", "-n", "shop"]);
    assert.match(
      policies.out,
      /^NAME +POD-SELECTOR +POLICY-TYPES +REVISION\ndb-ingress +app=db +Ingress +\d+\n$/,
    );

    const endpoints = await palisade(["get", "ep", "-n", "shop"]);
    assert.match(endpoints.out, /\nweb +node-a +veth-web +10\.1\.0\.5 +<none> +app=web/);

    const allowed = await palisade(["evaluate", "--from", "shop/web", "--to", "shop/db", "--port", "5432"]);
    assert.match(allowed.out, /^verdict: allow/);
    assert.match(
      allowed.out,
      /ingress of shop\/db: +allow +policy_allowed, policy shop\/db-ingress rule ingress\[0\]/,
    );
    const denied = await palisade(["evaluate", "--from", "10.9.9.9", "--to", "shop/db", "--port", "5432"]);
    assert.match(denied.out, /^verdict: deny/);
    assert.match(denied.out, /egress: +not checked/);

    const created = await palisade(["token", "create", "--scope", "read", "--description", "cli test"]);
    const token = created.out.trim();
    assert.match(token, /^pal_/);
    const readOnly = await palisade(["delete", "netpol", "db-ingress", "-n", "shop"], { token });
    assert.equal(readOnly.code, 1);
    assert.match(readOnly.err, /^error: auth\.forbidden: .*\(HTTP 403\)/);
    const list = await palisade(["token", "list"]);
    assert.match(list.out, /read +cli test/);

    const id = /^pal_([0-9a-f]+)_/.exec(token)?.[1] ?? "";
    assert.equal((await palisade(["token", "revoke", id])).out, `token ${id} revoked\n`);

    const removed = await palisade(["delete", "ns", "shop"]);
    assert.match(removed.out, /^namespace "shop" deleted \(revision \d+\)\nalso deleted: /);
    assert.equal((await palisade(["get", "ns"])).err, "No namespaces found.\n");
  });

  test("an invalid policy prints the API's issues with their paths", async () => {
    const bad = `{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"namespace":"x","name":"y"},"spec":{"podSelector":{},"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/33"}}]}]}}`;
    const { code, err } = await palisade(["apply", "-f", "-"], { stdin: bad });
    assert.equal(code, 1);
    assert.match(err, /^error: apply\.invalid: /);
    assert.match(err, /\n {2}\[0\]\.spec\.ingress\[0\]\.from\[0\]\.ipBlock\.cidr: /);
  });
});
