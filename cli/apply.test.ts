// Tests `palisade apply` against a fake API: the body and content type it sends, and what it prints.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, beforeEach, describe, test } from "node:test";
import { describeApplied } from "./apply.ts";
import {
  type CannedAnswer,
  type FakeApi,
  type RecordedRequest,
  runAgainst,
  startFakeApi,
} from "./testing.ts";

const yamlDocs = `apiVersion: v1
kind: Namespace
metadata:
  name: prod
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
  namespace: prod
spec:
  podSelector: {}
`;
const jsonList = JSON.stringify([{ apiVersion: "v1", kind: "Namespace", metadata: { name: "prod" } }]);
const applied = {
  revision: 12,
  applied: [
    { kind: "Namespace", name: "prod", op: "created" },
    { kind: "NetworkPolicy", namespace: "prod", name: "deny-all", op: "configured" },
  ],
};

let api: FakeApi;
let answer: (request: RecordedRequest) => CannedAnswer;
let dir: string;

before(async () => {
  api = await startFakeApi((request) => answer(request));
  dir = await mkdtemp(join(tmpdir(), "palisade-apply-"));
  await writeFile(join(dir, "objects.yaml"), yamlDocs);
  await writeFile(join(dir, "objects.json"), jsonList);
  await writeFile(join(dir, "objects.txt"), jsonList);
  await writeFile(join(dir, "empty.yaml"), "\n  \n");
});
after(async () => {
  await api.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  api.requests.length = 0;
  answer = () => ({ json: applied });
});

describe("palisade apply", () => {
  test("a YAML file is posted unchanged to /v1/apply as application/yaml", async () => {
    const { code, out } = await runAgainst(api, ["apply", "-f", "objects.yaml"], { io: { cwd: dir } });
    assert.equal(code, 0);
    assert.equal(api.requests.length, 1);
    const [request] = api.requests;
    assert.equal(request?.method, "POST");
    assert.equal(request?.path, "/v1/apply");
    assert.equal(request?.headers["content-type"], "application/yaml");
    assert.equal(request?.headers.authorization, "Bearer test-token");
    assert.equal(request?.body, yamlDocs);
    assert.equal(out, "namespace prod created\nnetworkpolicy prod/deny-all configured\nrevision 12\n");
  });

  test("a .json file is posted as application/json", async () => {
    await runAgainst(api, ["apply", "--filename", join(dir, "objects.json")]);
    assert.equal(api.requests[0]?.headers["content-type"], "application/json");
    assert.equal(api.requests[0]?.body, jsonList);
  });

  test("content that parses as JSON is sent as JSON whatever the file is called", async () => {
    await runAgainst(api, ["apply", "-f", join(dir, "objects.txt")]);
    assert.equal(api.requests[0]?.headers["content-type"], "application/json");
  });

  test("-f - reads YAML from stdin", async () => {
    const stdin = Readable.from([Buffer.from(yamlDocs.slice(0, 10)), Buffer.from(yamlDocs.slice(10))]);
    const { code } = await runAgainst(api, ["apply", "-f", "-"], { io: { stdin } });
    assert.equal(code, 0);
    assert.equal(api.requests[0]?.body, yamlDocs);
    assert.equal(api.requests[0]?.headers["content-type"], "application/yaml");
  });

  test("-f - reads JSON from stdin and sends it as JSON", async () => {
    await runAgainst(api, ["apply", "-f", "-"], { io: { stdin: Readable.from([jsonList]) } });
    assert.equal(api.requests[0]?.headers["content-type"], "application/json");
  });

  test("without -f it is a usage error and nothing is sent", async () => {
    const { code, err } = await runAgainst(api, ["apply"]);
    assert.equal(code, 2);
    assert.match(err, /flag -f\/--filename is required/);
    assert.equal(api.requests.length, 0);
  });

  test("a file that cannot be read fails with its name and the reason, exit 1", async () => {
    const { code, err } = await runAgainst(api, ["apply", "-f", "missing.yaml"], { io: { cwd: dir } });
    assert.equal(code, 1);
    assert.equal(err, "error: cannot read missing.yaml (ENOENT)\n");
    assert.equal(api.requests.length, 0);
  });

  test("an empty file is refused before anything is sent", async () => {
    const { code, err } = await runAgainst(api, ["apply", "-f", join(dir, "empty.yaml")]);
    assert.equal(code, 1);
    assert.match(err, /nothing to apply: .*empty\.yaml is empty/);
    assert.equal(api.requests.length, 0);
  });

  test("a validation error prints each issue as path: message and exits 1", async () => {
    answer = () => ({
      status: 422,
      json: {
        error: {
          code: "policy.invalid",
          message: "NetworkPolicy prod/deny-all is invalid",
          issues: [
            {
              path: "spec.ingress[0].from[0].ipBlock.cidr",
              message: 'must be a CIDR; got "10.0.0.0/33"',
              rule: "cidr",
            },
            { path: "metadata.name", message: "must be a DNS label", rule: "dns_label", value: "Bad_Name" },
          ],
        },
      },
    });
    const { code, out, err } = await runAgainst(api, ["apply", "-f", join(dir, "objects.yaml")]);
    assert.equal(code, 1);
    assert.equal(out, "");
    assert.equal(
      err,
      [
        "error: policy.invalid: NetworkPolicy prod/deny-all is invalid (HTTP 422)",
        '  spec.ingress[0].from[0].ipBlock.cidr: must be a CIDR; got "10.0.0.0/33"',
        "  metadata.name: must be a DNS label",
        "",
      ].join("\n"),
    );
  });
});

describe("describeApplied", () => {
  test("objects given by metadata are described by namespace and name", () => {
    const text = describeApplied({
      revision: 3,
      objects: [{ kind: "NetworkPolicy", metadata: { namespace: "a", name: "b" }, action: "unchanged" }],
    });
    assert.equal(text, "networkpolicy a/b unchanged\nrevision 3\n");
  });

  test("an answer with only a revision prints the revision", () => {
    assert.equal(describeApplied({ revision: 9 }), "revision 9\n");
  });
});
