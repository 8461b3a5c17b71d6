// Tests `palisade demo`: as root it runs end to end (its own stack, or a running control plane),
// shows a real drop counted in the metrics, and leaves no namespace, link or pin behind, also when
// interrupted; without root it refuses.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { e2eSkipReason } from "../test/e2e/harness/skip.ts";
import { createDemoCommand, demoPrefix, EXIT_INTERRUPTED, policyDrops } from "./demo.ts";
import { loadStackParts, startLocalStack } from "./local-stack.ts";
import { captureIo } from "./testing.ts";

function harness(opts: { root?: boolean } = {}) {
  const prefix = demoPrefix();
  let interrupt: ((signal: string) => void) | undefined;
  const command = createDemoCommand({
    isRoot: () => opts.root ?? true,
    loadParts: loadStackParts,
    trapStopSignals: (onSignal) => {
      interrupt = onSignal;
      return () => {
        interrupt = undefined;
      };
    },
    hostname: () => "demo-host",
    prefix: () => prefix,
  });
  return { command, prefix, interrupt: (s = "SIGINT") => interrupt?.(s) };
}

/** Network namespaces, links and pins whose names carry `prefix`. */
function leftovers(prefix: string): string[] {
  const netns = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;
  const links = spawnSync("ip", ["-br", "link"], { encoding: "utf8" }).stdout;
  return [
    ...netns.split("\n").filter((l) => l.includes(prefix)),
    ...links.split("\n").filter((l) => l.includes(prefix)),
    ...(existsSync(`/sys/fs/bpf/palisade-demo-${prefix}`) ? [`/sys/fs/bpf/palisade-demo-${prefix}`] : []),
  ];
}

async function unusedUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

describe("palisade demo", () => {
  it("refuses to run without root, before creating anything", async () => {
    const h = harness({ root: false });
    const io = captureIo();
    assert.equal(await h.command.run([], {}, io), 1);
    assert.match(io.err(), /palisade demo needs root/);
    assert.equal(io.out(), "");
  });

  it("counts only policy drops from the agent's packet counters", () => {
    const text = [
      'palisade_agent_packets_total{direction="ingress",verdict="drop",reason="DROP_POLICY_DENIED"} 3',
      'palisade_agent_packets_total{direction="egress",verdict="drop",reason="DROP_POLICY_DENIED"} 2',
      'palisade_agent_packets_total{direction="ingress",verdict="pass",reason="PASS_POLICY"} 40',
      'palisade_agent_packets_total{direction="ingress",verdict="drop",reason="DROP_SHORT_PACKET"} 7',
    ].join("\n");
    assert.equal(policyDrops(text), 5);
  });

  it("with no control plane answering, runs its own, shows one connection allowed and one dropped and counted, and removes everything", {
    skip: e2eSkipReason(),
  }, async () => {
    const h = harness();
    const io = captureIo();
    const code = await h.command.run(["--server", await unusedUrl()], {}, io);
    const out = io.out();
    assert.equal(code, 0, `${out}\n${io.err()}`);
    assert.match(out, /starting a temporary control plane and agent/);
    assert.match(out, /frontend -> backend:80 +connected/);
    assert.match(out, /other +-> backend:80 +dropped/);
    assert.match(out, /policy drops \+\d+/);
    assert.match(
      out,
      /palisade_agent_packets_total\{[^}]*verdict="drop"[^}]*reason="DROP_POLICY_DENIED"\} [1-9]/,
    );
    assert.deepEqual(leftovers(h.prefix), []);
  });

  it("uses a running control plane and its agent, and deletes its namespace there on exit", {
    skip: e2eSkipReason(),
  }, async () => {
    const stackPrefix = demoPrefix();
    const bpffs = `/sys/fs/bpf/palisade-demo-test-${stackPrefix}`;
    const stack = await startLocalStack(
      {
        listen: "127.0.0.1:0",
        dbPath: ":memory:",
        adminToken: "demo-test-admin",
        node: "demo-node",
        stateDir: `/tmp/palisade-demo-test-${stackPrefix}`,
        bpffs,
        metricsListen: "127.0.0.1:0",
        datapath: "bpf",
        removeOnExit: true,
        log: () => {},
      },
      await loadStackParts(),
    );
    try {
      for (let i = 0; i < 200; i++) {
        const res = await fetch(`${stack.url}/v1/nodes/demo-node`, {
          headers: { authorization: "Bearer demo-test-admin" },
        });
        if (res.ok && ((await res.json()) as { connected: boolean }).connected) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      const h = harness();
      const io = captureIo();
      const code = await h.command.run(
        [
          "--server",
          stack.url,
          "--token",
          "demo-test-admin",
          "--node",
          "demo-node",
          "--metrics",
          stack.metricsUrl,
        ],
        {},
        io,
      );
      assert.equal(code, 0, `${io.out()}\n${io.err()}`);
      assert.match(io.out(), /using the control plane at .* and the agent of node demo-node/);
      assert.match(io.out(), /other +-> backend:80 +dropped/);
      const list = (await (
        await fetch(`${stack.url}/v1/namespaces`, { headers: { authorization: "Bearer demo-test-admin" } })
      ).json()) as { items: { name: string }[] };
      assert.deepEqual(
        list.items.filter((n) => n.name.startsWith("demo-")),
        [],
        "the demo namespace is deleted",
      );
      assert.deepEqual(leftovers(h.prefix), []);
    } finally {
      await stack.stop();
      spawnSync("rm", ["-rf", bpffs, `/tmp/palisade-demo-test-${stackPrefix}`]);
    }
  });

  it("interrupted after creating its pods, removes them and exits 130", {
    skip: e2eSkipReason(),
  }, async () => {
    const h = harness();
    const io = captureIo();
    const done = h.command.run(["--server", await unusedUrl()], {}, io);
    for (let i = 0; i < 400 && !/pod demo-\S+\/other/.test(io.out()); i++)
      await new Promise((r) => setTimeout(r, 25));
    h.interrupt("SIGINT");
    assert.equal(await done, EXIT_INTERRUPTED, io.out());
    assert.match(io.out(), /SIGINT: stopping; removing what the demo created/);
    assert.doesNotMatch(io.out(), /-> backend/, "stopped before probing");
    assert.deepEqual(leftovers(h.prefix), []);
  });
});
