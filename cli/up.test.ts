// Tests `palisade up` in process with the real control plane and agent: it starts both, enrolls
// the agent by itself, shows the node connected, and stops both on a signal.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { e2eSkipReason } from "../test/e2e/harness/skip.ts";
import { loadStackParts, localNodeName } from "./local-stack.ts";
import { captureIo } from "./testing.ts";
import { createUpCommand } from "./up.ts";

function harness(
  datapath: { datapath: "bpf" | "memory"; why: string } = { datapath: "memory", why: "test" },
  cniSocket = "/nonexistent/cni.sock",
) {
  let stop: (signal: string) => void = () => {};
  const installs: number[] = [];
  const command = createUpCommand({
    loadParts: loadStackParts,
    installCni: () => {
      installs.push(1);
      return { binary: "/test/bin/palisade", conflist: "/test/net.d/10-palisade.conflist" };
    },
    cniSocket,
    waitForStopSignal: () => new Promise((resolve) => (stop = resolve)),
    defaultDatapath: async () => datapath,
    hostname: () => "Build_Box.Example.COM",
    now: () => new Date(0),
  });
  return { command, installs, signal: (s = "SIGINT") => stop(s) };
}

function lines(out: string): Record<string, unknown>[] {
  return out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function until<T>(
  get: () => Promise<T | undefined> | T | undefined,
  what: string,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function nodeStatus(url: string, token: string, node: string) {
  const res = await fetch(`${url}/v1/nodes/${node}`, { headers: { authorization: `Bearer ${token}` } });
  return res.status === 200 ? ((await res.json()) as { connected: boolean }) : undefined;
}

describe("palisade up", () => {
  it("starts a control plane and an enrolled agent, shows the node connected, stops both on a signal, and reuses the credential on the next start", async () => {
    const dir = mkdtempSync(join(tmpdir(), "palisade-up-"));
    const args = [
      "--listen",
      "127.0.0.1:0",
      "--db",
      join(dir, "data", "p.db"),
      "--metrics-listen",
      "127.0.0.1:0",
    ];
    try {
      for (const round of [1, 2]) {
        const h = harness();
        const io = captureIo({ cwd: dir });
        const done = h.command.run(args, {}, io);
        const ready = await until(
          () => lines(io.out()).find((l) => l.msg === "palisade up"),
          "the ready line",
        );
        const url = ready.api as string;
        assert.equal(ready.node, "build-box.example.com", "the host name, lowercased and sanitized");
        assert.equal(ready.adminToken, join(dir, "data", "admin-token"));
        const token = readFileSync(join(dir, "data", "admin-token"), "utf8").trim();
        await until(
          async () => ((await nodeStatus(url, token, "build-box.example.com"))?.connected ? true : undefined),
          "node connected",
        );
        const metrics = await fetch(ready.metrics as string);
        assert.equal(metrics.status, 200);
        assert.match(await metrics.text(), /palisade_agent_applied_revision/);
        assert.match(
          io.err(),
          /palisade up: control plane at http:\/\/127\.0\.0\.1:\d+ \(admin token: .*admin-token\)/,
        );
        assert.match(io.err(), /metrics at http:\/\/127\.0\.0\.1:\d+\/metrics/);
        assert.match(io.out(), /enforcement is simulated/, "the memory datapath says so");
        const enrolled = lines(io.out()).some((l) => l.msg === "enrolled");
        const reused = lines(io.out()).some((l) => l.msg === "reusing the stored node credential");
        assert.deepEqual([enrolled, reused], round === 1 ? [true, false] : [false, true]);
        h.signal();
        assert.equal(await done, 0);
        assert.ok(lines(io.out()).some((l) => l.msg === "agent stopped"));
        await assert.rejects(fetch(`${url}/healthz`), "the control plane is closed");
        assert.ok(existsSync(join(dir, "data", "agents", "build-box.example.com", "credential.json")));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses --cni on the memory datapath, installing nothing", async () => {
    const h = harness();
    const io = captureIo();
    assert.equal(await h.command.run(["--cni", "--datapath", "memory"], {}, io), 2);
    assert.match(io.err(), /--cni needs the bpf datapath/);
    assert.deepEqual(h.installs, []);
  });

  it("refuses a malformed --node with a usage error", async () => {
    const io = captureIo();
    assert.equal(await harness().command.run(["--node", "Bad_Name"], {}, io), 2);
    assert.match(io.err(), /--node must be a DNS-1123 subdomain/);
  });

  it("fails with exit 1 and one line when the address is taken", async () => {
    const dir = mkdtempSync(join(tmpdir(), "palisade-up-"));
    const blocker = (await import("node:net")).createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const io = captureIo({ cwd: dir });
      const code = await harness().command.run(
        ["--listen", `127.0.0.1:${port}`, "--datapath", "memory"],
        {},
        io,
      );
      assert.equal(code, 1);
      assert.match(io.err(), /palisade up: failed to start: .*EADDRINUSE/);
    } finally {
      blocker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("as root with the BPF objects built, defaults to the bpf datapath; --cni installs and serves the plugin; --remove-on-exit removes it", {
    skip: e2eSkipReason(),
  }, async () => {
    const { defaultDatapath } = await import("./local-stack.ts");
    const chosen = await defaultDatapath();
    assert.equal(chosen.datapath, "bpf");
    const dir = mkdtempSync(join(tmpdir(), "palisade-up-"));
    const bpffs = `/sys/fs/bpf/palisade-up-test-${process.pid}`;
    const socket = join(dir, "cni.sock");
    const h = harness(chosen, socket);
    const io = captureIo({ cwd: dir });
    try {
      const done = h.command.run(
        [
          "--cni",
          "--listen",
          "127.0.0.1:0",
          "--metrics-listen",
          "127.0.0.1:0",
          "--node",
          "up-bpf",
          "--bpffs",
          bpffs,
          "--remove-on-exit",
        ],
        { PALISADE_ADMIN_TOKEN: "up-test-admin" },
        io,
      );
      const ready = await until(() => lines(io.out()).find((l) => l.msg === "palisade up"), "the ready line");
      assert.equal(ready.datapath, "bpf");
      await until(
        async () =>
          (await nodeStatus(ready.api as string, "up-test-admin", "up-bpf"))?.connected ? true : undefined,
        "node connected",
      );
      assert.ok(existsSync(join(bpffs, "maps")), "maps pinned under --bpffs");
      assert.deepEqual(h.installs, [1], "--cni installed the plugin and conflist");
      assert.match(io.err(), /CNI plugin at \/test\/bin\/palisade/);
      assert.equal(statSync(socket).mode & 0o777, 0o600, "the agent serves CNI, root only");
      assert.doesNotMatch(io.out(), /enforcement is simulated/);
      h.signal("SIGTERM");
      assert.equal(await done, 0);
      assert.equal(existsSync(bpffs), false, "--remove-on-exit removed the pins");
    } finally {
      h.signal();
      rmSync(bpffs, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("localNodeName", () => {
  it("lowercases the host name and turns other characters into dashes, label by label", () => {
    assert.equal(localNodeName("Build_Box.Example.COM"), "build-box.example.com");
    assert.equal(localNodeName("-web--01-"), "web--01");
    assert.equal(localNodeName("a..b"), "a.b");
    assert.equal(localNodeName("__"), "local-node");
  });
});
