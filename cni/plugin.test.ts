// Tests the `palisade` CNI plugin binary (cni/plugin/*.c) as a runtime runs it, against a fake
// agent that decodes with decodeCniRequest and answers with encodeCniAnswer: the C side and
// wire/cni-socket.ts are proven to agree on the framing.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DEFAULT_CNI_SOCKET, encodeCniRequest } from "../wire/cni-socket.ts";
import { ensurePluginBuilt, PLUGIN_SOURCE_DIR, runPlugin, startFakeAgent } from "./testing.ts";

let dir: string;
let socketCount = 0;
const socketPath = () => join(dir, `agent-${++socketCount}.sock`);

before(() => {
  ensurePluginBuilt();
  dir = mkdtempSync(join(tmpdir(), "palisade-cni-plugin-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const prevResult = {
  cniVersion: "1.0.0",
  interfaces: [
    { name: "palisade0", mac: "aa:bb:cc:dd:ee:ff" },
    { name: "veth1234", mac: "11:22:33:44:55:66" },
    { name: "eth0", mac: "66:55:44:33:22:11", sandbox: "/var/run/netns/cni-1" },
  ],
  ips: [{ address: "10.244.0.5/24", gateway: "10.244.0.1", interface: 2 }],
  routes: [],
  dns: {},
};

/** A configuration as the runtime sends it: pretty-printed, with odd spacing kept byte for byte. */
function config(fields: Record<string, unknown>): string {
  return `${JSON.stringify({ cniVersion: "1.0.0", name: "palisade", type: "palisade", ...fields }, null, 2)}\n`;
}

function parseError(stdout: string): { cniVersion: string; code: number; msg: string; details: string } {
  const parsed = JSON.parse(stdout);
  assert.deepEqual(Object.keys(parsed), ["cniVersion", "code", "msg", "details"]);
  return parsed;
}

describe("the palisade CNI plugin", () => {
  test("compiles without a warning under -Wall -Wextra -O2", () => {
    const out = join(dir, "palisade-werror");
    const sources = readdirSync(PLUGIN_SOURCE_DIR)
      .filter((name) => name.endsWith(".c"))
      .map((name) => join(PLUGIN_SOURCE_DIR, name));
    const result = spawnSync(
      "cc",
      ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-o", out, ...sources],
      {
        encoding: "utf8",
      },
    );
    assert.equal(result.stderr, "");
    assert.equal(result.status, 0);
  });

  test("VERSION is answered by the plugin itself, without an agent", async () => {
    const run = await runPlugin({ CNI_COMMAND: "VERSION" }, '{"cniVersion":"1.0.0"}');
    assert.equal(run.code, 0);
    assert.deepEqual(JSON.parse(run.stdout), {
      cniVersion: "1.0.0",
      supportedVersions: ["0.3.0", "0.3.1", "0.4.0", "1.0.0"],
    });
  });

  test("ADD forwards the CNI_* environment and stdin byte for byte and relays stdout and exit code", async () => {
    const path = socketPath();
    const result = `${JSON.stringify({ ...prevResult, note: "é ✓ \n" }, null, 1)}\n`;
    const agent = await startFakeAgent(path, () => ({ exitCode: 0, stdout: result }));
    try {
      const env = {
        CNI_COMMAND: "ADD",
        CNI_CONTAINERID: "c0ffee",
        CNI_NETNS: "/var/run/netns/cni-1",
        CNI_IFNAME: "eth0",
        CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-0",
        CNI_PATH: "/usr/lib/cni:/opt/cni/bin",
        PATH: "/usr/bin:/bin",
        OTHER: "not forwarded",
      };
      const stdin = config({ agentSocket: path, prevResult, runtimeConfig: { a: "x\ty" } });
      const run = await runPlugin(env, stdin);
      assert.equal(run.code, 0);
      assert.equal(run.stdout, result);
      assert.equal(run.stderr, "");
      const { PATH: _path, OTHER: _other, ...forwarded } = env;
      assert.deepEqual(agent.raw, [encodeCniRequest({ env: forwarded, stdin })]);
      assert.deepEqual(agent.requests, [{ env: forwarded, stdin }]);
    } finally {
      await agent.close();
    }
  });

  test("only the variables that are set are forwarded, an empty one included", async () => {
    const path = socketPath();
    const agent = await startFakeAgent(path);
    try {
      const stdin = config({ agentSocket: path });
      const run = await runPlugin({ CNI_COMMAND: "CHECK", CNI_PATH: "" }, stdin);
      assert.equal(run.code, 0);
      assert.deepEqual(agent.requests, [{ env: { CNI_COMMAND: "CHECK", CNI_PATH: "" }, stdin }]);
    } finally {
      await agent.close();
    }
  });

  test("the agent's error exit code and JSON are relayed as they are", async () => {
    const path = socketPath();
    const error = '{"cniVersion":"1.0.0","code":7,"msg":"invalid network config","details":"x"}';
    const agent = await startFakeAgent(path, () => ({ exitCode: 1, stdout: error }));
    try {
      const run = await runPlugin({ CNI_COMMAND: "ADD" }, config({ agentSocket: path }));
      assert.equal(run.code, 1);
      assert.equal(run.stdout, error);
    } finally {
      await agent.close();
    }
  });

  test("agentSocket is the top-level key, not one inside prevResult or inside a string value", async () => {
    const real = socketPath();
    const decoy = socketPath();
    const agent = await startFakeAgent(real, () => ({ exitCode: 0, stdout: "ok" }));
    const decoyAgent = await startFakeAgent(decoy, () => ({ exitCode: 3, stdout: "decoy" }));
    try {
      // The decoys come first; the real key and path are written with escapes (\/, \u0053 for 'S',
      // \u0061 for 'a'), which JSON says are the same strings.
      const escaped = JSON.stringify(real).replaceAll("/", "\\/").replace("agent-", "\\u0061gent-");
      const stdin =
        `{"cniVersion":"1.0.0","name":"n","type":"palisade",` +
        `"prevResult":{"agentSocket":${JSON.stringify(decoy)},"x":[{"agentSocket":${JSON.stringify(decoy)}}]},` +
        `"note":"\\"agentSocket\\":${JSON.stringify(decoy).replaceAll('"', '\\"')}",` +
        `"agent\\u0053ocket":${escaped}}`;
      JSON.parse(stdin); // the test's own input is valid JSON
      const run = await runPlugin({ CNI_COMMAND: "ADD" }, stdin);
      assert.equal(run.stdout, "ok");
      assert.equal(agent.connections, 1);
      assert.equal(decoyAgent.connections, 0);
    } finally {
      await agent.close();
      await decoyAgent.close();
    }
  });

  test("without a top-level agentSocket, or with invalid JSON, the default socket is used", async (t) => {
    if (existsSync(DEFAULT_CNI_SOCKET)) {
      t.skip(`a socket exists at ${DEFAULT_CNI_SOCKET}: the plugin would talk to it`);
      return;
    }
    const decoy = socketPath();
    const decoyAgent = await startFakeAgent(decoy);
    try {
      const nested = config({ cniVersion: "0.4.0", prevResult: { agentSocket: decoy } });
      const trailing = `${config({ cniVersion: "0.4.0", agentSocket: decoy })} {}`;
      const unterminated = `{"agentSocket":${JSON.stringify(decoy)},"cniVersion":"0.4.0"`;
      const tooDeep = `{"cniVersion":"0.4.0","x":${"[".repeat(300)}${"]".repeat(300)},"agentSocket":${JSON.stringify(decoy)}}`;
      // Only a valid document's cniVersion is trusted for the error.
      for (const [stdin, version] of [
        [nested, "0.4.0"],
        [trailing, "1.0.0"],
        [unterminated, "1.0.0"],
        [tooDeep, "1.0.0"], // nested deeper than the scanner's 256 levels: treated as invalid
      ] as const) {
        const run = await runPlugin({ CNI_COMMAND: "ADD" }, stdin);
        assert.equal(run.code, 1);
        const error = parseError(run.stdout);
        assert.equal(error.code, 11);
        assert.ok(error.details.startsWith(`${DEFAULT_CNI_SOCKET}: `), error.details);
        assert.equal(error.cniVersion, version);
      }
      assert.equal(decoyAgent.connections, 0);
    } finally {
      await decoyAgent.close();
    }
  });

  test("an unreachable agent: ADD and CHECK fail with code 11 naming the socket, DEL and GC succeed", async () => {
    const missing = socketPath();
    const notListening = join(dir, "plain-file.sock");
    writeFileSync(notListening, "");
    for (const path of [missing, notListening]) {
      const stdin = config({ cniVersion: "0.3.1", agentSocket: path });
      for (const command of ["ADD", "CHECK"]) {
        const run = await runPlugin({ CNI_COMMAND: command }, stdin);
        assert.equal(run.code, 1, `${command} ${path}`);
        const error = parseError(run.stdout);
        assert.equal(error.cniVersion, "0.3.1");
        assert.equal(error.code, 11);
        assert.match(error.msg, /palisade agent is not running or not reachable/);
        assert.ok(error.details.startsWith(`${path}: connect: `), error.details);
      }
      for (const command of ["DEL", "GC"]) {
        const run = await runPlugin({ CNI_COMMAND: command }, stdin);
        assert.equal(run.code, 0);
        assert.equal(run.stdout, "");
        assert.equal(run.stderr.split("\n").length, 2, "one line on stderr");
        assert.match(run.stderr, new RegExp(`${command} succeeds without the agent at ${path}`));
      }
      const status = await runPlugin({ CNI_COMMAND: "STATUS" }, stdin);
      assert.equal(status.code, 1);
      assert.equal(parseError(status.stdout).code, 50);
      assert.equal(parseError(status.stdout).msg, "plugin not available");
    }
  });

  test("an invalid environment is code 4: a newline in CNI_ARGS, CNI_COMMAND missing", async () => {
    const path = socketPath();
    const agent = await startFakeAgent(path);
    try {
      const stdin = config({ cniVersion: "0.4.0", agentSocket: path });
      const newline = await runPlugin({ CNI_COMMAND: "ADD", CNI_ARGS: "A=1\nB=2" }, stdin);
      assert.equal(newline.code, 1);
      assert.deepEqual(parseError(newline.stdout), {
        cniVersion: "0.4.0",
        code: 4,
        msg: "invalid CNI environment",
        details: "CNI_ARGS holds a newline",
      });
      for (const env of [{}, { CNI_COMMAND: "" }] as Record<string, string>[]) {
        const missing = await runPlugin(env, stdin);
        assert.equal(missing.code, 1);
        assert.equal(parseError(missing.stdout).code, 4);
        assert.equal(parseError(missing.stdout).msg, "CNI_COMMAND is not set");
      }
      assert.equal(agent.connections, 0);
    } finally {
      await agent.close();
    }
  });

  test("an unusable agentSocket or timeoutSeconds is code 7 (invalid network configuration)", async () => {
    const cases: Record<string, unknown>[] = [
      { agentSocket: 5 },
      { agentSocket: "" },
      { agentSocket: `/${"x".repeat(110)}` },
      { timeoutSeconds: 0 },
      { timeoutSeconds: 601 },
      { timeoutSeconds: 1.5 },
      { timeoutSeconds: "5" },
    ];
    for (const fields of cases) {
      const run = await runPlugin({ CNI_COMMAND: "ADD" }, config(fields));
      assert.equal(run.code, 1, JSON.stringify(fields));
      const error = parseError(run.stdout);
      assert.equal(error.code, 7);
      assert.match(error.details, /agentSocket|timeoutSeconds/);
    }
  });

  test("the agent closing without an answer is code 11 for ADD (it went away) and success for DEL", async () => {
    const path = socketPath();
    const agent = await startFakeAgent(path, () => "close");
    try {
      const add = await runPlugin({ CNI_COMMAND: "ADD" }, config({ agentSocket: path }));
      assert.equal(add.code, 1);
      const error = parseError(add.stdout);
      assert.equal(error.code, 11);
      assert.match(error.details, /closed the connection without an answer/);
      const del = await runPlugin({ CNI_COMMAND: "DEL" }, config({ agentSocket: path }));
      assert.equal(del.code, 0);
      assert.equal(del.stdout, "");
    } finally {
      await agent.close();
    }
  });

  test("a malformed or oversized answer is code 5 (I/O failure)", async () => {
    const path = socketPath();
    const big = Buffer.concat([Buffer.from("0\n"), Buffer.alloc(4 * 1024 * 1024 + 1, "x")]);
    const answers = [Buffer.from("hello"), Buffer.from("256\n{}"), big];
    const agent = await startFakeAgent(path, () => ({ raw: answers.shift() ?? Buffer.from("") }));
    try {
      for (const expected of [/exit code line/, /exit code line/, /more than 4 MiB/]) {
        const run = await runPlugin({ CNI_COMMAND: "ADD" }, config({ agentSocket: path }));
        assert.equal(run.code, 1);
        const error = parseError(run.stdout);
        assert.equal(error.code, 5);
        assert.match(error.details, expected);
      }
    } finally {
      await agent.close();
    }
  });

  test("an answer of exactly 4 MiB of stdout is relayed whole", async () => {
    const path = socketPath();
    const stdout = "y".repeat(4 * 1024 * 1024);
    const agent = await startFakeAgent(path, () => ({ exitCode: 0, stdout }));
    try {
      const run = await runPlugin({ CNI_COMMAND: "ADD" }, config({ agentSocket: path }));
      assert.equal(run.code, 0);
      assert.equal(run.stdout.length, stdout.length);
    } finally {
      await agent.close();
    }
  });

  test("a configuration over 1 MiB is refused before the agent is asked", async () => {
    const path = socketPath();
    const agent = await startFakeAgent(path);
    try {
      const run = await runPlugin(
        { CNI_COMMAND: "ADD" },
        config({ agentSocket: path, padding: "z".repeat(1024 * 1024) }),
      );
      assert.equal(run.code, 1);
      assert.equal(parseError(run.stdout).code, 7);
      assert.equal(agent.connections, 0);
    } finally {
      await agent.close();
    }
  });

  test("an agent that never answers: code 11 after timeoutSeconds for ADD", async () => {
    const path = socketPath();
    const agent = await startFakeAgent(path, () => "hang");
    try {
      const run = await runPlugin({ CNI_COMMAND: "ADD" }, config({ agentSocket: path, timeoutSeconds: 1 }));
      assert.equal(run.code, 1);
      const error = parseError(run.stdout);
      assert.equal(error.code, 11);
      assert.equal(error.msg, "the palisade agent did not answer in time");
      assert.match(error.details, /no answer within 1 s \(timeoutSeconds\)/);
      assert.ok(run.ms >= 950 && run.ms < 10_000, `took ${run.ms} ms`);
      assert.equal(agent.requests.length, 1, "the request itself went through");
    } finally {
      await agent.close();
    }
  });
});
