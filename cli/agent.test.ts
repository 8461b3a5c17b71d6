import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createAgentCommand, type RunAgent } from "./agent.ts";
import { captureIo } from "./testing.ts";

function harness() {
  const calls: Parameters<RunAgent>[0][] = [];
  let stopped = 0;
  const command = createAgentCommand({
    loadRunAgent: async () => async (opts) => {
      calls.push(opts);
      return { stop: async () => void stopped++ };
    },
    waitForStopSignal: async () => "SIGTERM",
    now: () => new Date(0),
  });
  return { command, calls, stopped: () => stopped };
}

describe("palisade agent", () => {
  it("runs the agent with the flags and defaults of the contract, and stops it on a signal", async () => {
    const h = harness();
    const io = captureIo();
    const code = await h.command.run(["--node", "worker-1", "--enroll-token", "pet_x"], {}, io);
    assert.equal(code, 0);
    assert.equal(h.calls.length, 1);
    const opts = h.calls[0]!;
    assert.equal(opts.server, "http://127.0.0.1:7400");
    assert.equal(opts.node, "worker-1");
    assert.equal(opts.enrollToken, "pet_x");
    assert.equal(opts.stateDir, "/var/lib/palisade/worker-1");
    assert.equal(opts.bpffs, "/sys/fs/bpf/palisade/worker-1");
    assert.equal(opts.metricsListen, "127.0.0.1:9474");
    assert.equal(opts.datapath, "bpf");
    assert.equal(opts.removeOnExit, false);
    assert.deepEqual(opts.flows, { ringSize: 16_384, newFlowSample: 1 });
    assert.equal(h.stopped(), 1);
  });

  it("takes --datapath memory and --remove-on-exit", async () => {
    const h = harness();
    const io = captureIo();
    await h.command.run(
      ["--node", "n1", "--datapath", "memory", "--remove-on-exit", "--state-dir", "/tmp/s"],
      {},
      io,
    );
    assert.equal(h.calls[0]?.datapath, "memory");
    assert.equal(h.calls[0]?.removeOnExit, true);
    assert.equal(h.calls[0]?.stateDir, "/tmp/s");
  });

  it("refuses a missing or malformed node name with a usage error", async () => {
    const h = harness();
    const io = captureIo();
    assert.equal(await h.command.run([], {}, io), 2);
    assert.equal(await h.command.run(["--node", "Bad_Name"], {}, io), 2);
    assert.equal(h.calls.length, 0);
  });

  it("takes --flow-ring and --flow-sample, and refuses values out of range", async () => {
    const h = harness();
    const io = captureIo();
    await h.command.run(["--node", "n1", "--flow-ring", "100", "--flow-sample", "0"], {}, io);
    assert.deepEqual(h.calls[0]?.flows, { ringSize: 100, newFlowSample: 0 });
    for (const bad of [
      ["--flow-ring", "0"],
      ["--flow-ring", "2000000"],
      ["--flow-sample", "-1"],
      ["--flow-sample", "x"],
    ]) {
      const err = captureIo();
      assert.equal(await h.command.run(["--node", "n1", ...bad], {}, err), 2, bad.join(" "));
      assert.match(err.err(), new RegExp(bad[0]!));
    }
    assert.equal(h.calls.length, 1);
  });
});
