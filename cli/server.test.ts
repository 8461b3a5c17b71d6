// Tests `palisade server` with a stand-in for startServer: options passed, log lines, graceful stop.
import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createServerCommand, type ServerDeps, type StartServer } from "./server.ts";
import { captureIo } from "./testing.ts";

const NOW = new Date("2026-11-26T12:00:00Z");

interface Harness {
  deps: ServerDeps;
  calls: Parameters<StartServer>[0][];
  events: string[];
  stop(signal: string): void;
}

function harness(start?: StartServer): Harness {
  const calls: Parameters<StartServer>[0][] = [];
  const events: string[] = [];
  let stop: (signal: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const fake: StartServer = async (opts) => {
    calls.push(opts);
    opts.log?.({ level: "debug", msg: "migrations applied" });
    opts.log?.({ level: "warn", msg: "slow disk" });
    events.push("started");
    return {
      url: "http://127.0.0.1:7400",
      adminTokenFile: "/data/admin-token",
      close: async () => void events.push("closed"),
    };
  };
  return {
    deps: {
      loadStartServer: async () => start ?? fake,
      waitForStopSignal: () => stopped,
      now: () => NOW,
    },
    calls,
    events,
    stop: (signal) => stop(signal),
  };
}

function logLines(text: string): Record<string, unknown>[] {
  return text
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

describe("palisade server", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "palisade-server-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test("passes --listen, the absolute --db path and PALISADE_ADMIN_TOKEN to startServer", async () => {
    const h = harness();
    const io = captureIo({ cwd: dir });
    const running = createServerCommand(h.deps).run(
      ["--listen", "0.0.0.0:7500", "--db", "state/p.db"],
      { PALISADE_ADMIN_TOKEN: "s3cret" },
      io,
    );
    await waitFor(() => h.events.includes("started"));
    h.stop("SIGTERM");
    assert.equal(await running, 0);
    assert.equal(h.calls[0]?.listen, "0.0.0.0:7500");
    assert.equal(h.calls[0]?.dbPath, join(dir, "state", "p.db"));
    assert.equal(h.calls[0]?.adminToken, "s3cret");
    assert.ok((await stat(join(dir, "state"))).isDirectory(), "the database directory is created");
  });

  test("uses the defaults and the PALISADE_LISTEN and PALISADE_DB env vars", async () => {
    const h = harness();
    const running = createServerCommand(h.deps).run(
      [],
      { PALISADE_DB: join(dir, "env.db") },
      captureIo({ cwd: dir }),
    );
    await waitFor(() => h.events.includes("started"));
    h.stop("SIGINT");
    await running;
    assert.equal(h.calls[0]?.listen, "127.0.0.1:7400");
    assert.equal(h.calls[0]?.dbPath, join(dir, "env.db"));
    assert.equal("adminToken" in (h.calls[0] ?? {}), false, "no admin token is passed when none is set");
  });

  test("writes JSON log lines at or above --log-level, with a time, and says when it stops", async () => {
    const h = harness();
    const io = captureIo({ cwd: dir });
    const running = createServerCommand(h.deps).run(["--log-level", "info"], {}, io);
    await waitFor(() => h.events.includes("started"));
    h.stop("SIGINT");
    await running;
    assert.deepEqual(logLines(io.out()), [
      { time: NOW.toISOString(), level: "warn", msg: "slow disk" },
      { time: NOW.toISOString(), level: "info", msg: "stopping", signal: "SIGINT" },
      { time: NOW.toISOString(), level: "info", msg: "stopped" },
    ]);
  });

  test("--log-level debug also writes debug lines", async () => {
    const h = harness();
    const io = captureIo({ cwd: dir });
    const running = createServerCommand(h.deps).run(["--log-level", "debug"], {}, io);
    await waitFor(() => h.events.includes("started"));
    h.stop("SIGINT");
    await running;
    assert.equal(logLines(io.out())[0]?.msg, "migrations applied");
  });

  test("a stop signal closes the server before the command returns 0", async () => {
    const h = harness();
    const running = createServerCommand(h.deps).run([], {}, captureIo({ cwd: dir }));
    await waitFor(() => h.events.includes("started"));
    assert.deepEqual(h.events, ["started"]);
    h.stop("SIGTERM");
    assert.equal(await running, 0);
    assert.deepEqual(h.events, ["started", "closed"]);
  });

  test("a stop signal that arrives while the server is starting closes it once it is up", async () => {
    const h = harness();
    h.stop("SIGINT");
    const code = await createServerCommand(h.deps).run([], {}, captureIo({ cwd: dir }));
    assert.equal(code, 0);
    assert.deepEqual(h.events, ["started", "closed"]);
  });

  test("a failure to start is reported on stderr with exit 1", async () => {
    const failing: StartServer = async () => {
      throw Object.assign(new Error("listen EADDRINUSE: address already in use 127.0.0.1:7400"), {
        code: "EADDRINUSE",
      });
    };
    const io = captureIo({ cwd: dir });
    const code = await createServerCommand(harness(failing).deps).run([], {}, io);
    assert.equal(code, 1);
    assert.equal(
      io.err(),
      "palisade server: failed to start: listen EADDRINUSE: address already in use 127.0.0.1:7400\n",
    );
  });

  test("a control plane that cannot be loaded is reported with exit 1", async () => {
    const io = captureIo({ cwd: dir });
    const deps: ServerDeps = {
      ...harness().deps,
      loadStartServer: async () => {
        throw Object.assign(new Error("Cannot find module api/main.ts"), { code: "ERR_MODULE_NOT_FOUND" });
      },
    };
    const code = await createServerCommand(deps).run([], {}, io);
    assert.equal(code, 1);
    assert.match(
      io.err(),
      /cannot load the control plane \(api\/main.ts\): Cannot find module .*ERR_MODULE_NOT_FOUND/,
    );
  });

  test("a malformed --listen or --log-level is a usage error and nothing starts", async () => {
    for (const argv of [
      ["--listen", "7400"],
      ["--listen", "host:99999"],
      ["--log-level", "verbose"],
    ]) {
      const h = harness();
      const io = captureIo({ cwd: dir });
      assert.equal(await createServerCommand(h.deps).run(argv, {}, io), 2, argv.join(" "));
      assert.match(io.err(), /palisade server: --(listen|log-level) must be/);
      assert.equal(h.calls.length, 0);
    }
  });

  test("an invalid PALISADE_LOG_LEVEL names the env var", async () => {
    const io = captureIo({ cwd: dir });
    assert.equal(await createServerCommand(harness().deps).run([], { PALISADE_LOG_LEVEL: "loud" }, io), 2);
    assert.match(
      io.err(),
      /PALISADE_LOG_LEVEL \(--log-level\) must be one of debug, info, warn, error; got "loud"/,
    );
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(condition(), "condition not reached");
}
