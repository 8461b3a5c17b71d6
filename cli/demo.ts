// Owns `palisade demo`: three namespace pods on this node, a policy, one connection allowed and
// one dropped with the drop counted in the agent's metrics; against a running control plane, or a
// stack of its own when none answers. Everything it created is removed on exit, Ctrl-C included.
import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { randomPrefix } from "../lib/netns/names.ts";
import { NODE_NAME } from "../wire/names.ts";
import { createClient } from "./client.ts";
import { defineCommand, EXIT_FAILED, EXIT_OK } from "./command.ts";
import { connect, connectionFlags } from "./connection.ts";
import { play, type Target } from "./demo-play.ts";
import { CliError } from "./failure.ts";
import { requireValue, UsageError } from "./flags.ts";
import type { Io } from "./io.ts";
import { loadStackParts, localNodeName, type StackParts, startLocalStack } from "./local-stack.ts";
import { DEFAULT_SERVER, NODE_FLAG } from "./shared-flags.ts";
import { trapStopSignals } from "./signals.ts";

export const EXIT_INTERRUPTED = 130;

export interface DemoDeps {
  isRoot(): boolean;
  loadParts(): Promise<StackParts>;
  /** Calls onSignal on SIGINT/SIGTERM until the returned function is called. */
  trapStopSignals(onSignal: (signal: string) => void): () => void;
  hostname(): string;
  /** The demo's name prefix (tests pass their own to find leftovers). */
  prefix(): string;
}

class Interrupted extends Error {}

/** `pdm` and 4 random characters: every name the demo creates starts with it (interface names stay under 15). */
export function demoPrefix(): string {
  return randomPrefix("pdm", 4);
}

export { policyDrops } from "./demo-play.ts";

export function createDemoCommand(deps: DemoDeps) {
  return defineCommand(
    {
      path: "demo",
      summary:
        "show a policy at work: pods in network namespaces, one connection allowed, one dropped (root)",
      args: [],
      flags: [
        ...connectionFlags,
        {
          ...NODE_FLAG,
          description: "the node whose agent enforces the demo pods (as in palisade up)",
          defaultText: "the host name, lowercased and sanitized",
        },
        {
          name: "metrics",
          type: "string",
          valueName: "URL",
          description: "that agent's metrics listener, read to show the drop counted",
          default: "http://127.0.0.1:9474",
        },
      ],
      description: [
        "Needs root. Creates a bridge and three pods (network namespaces named pdm<random>-<pod>, with",
        "addresses from 198.18.0.0/15 on that bridge only), registers them on the control plane at --server",
        "for --node, applies a policy that lets frontend reach backend on TCP 80, then shows frontend ->",
        "backend connecting, other -> backend dropped, and the drop in the agent's metrics. When nothing",
        "answers at --server it runs its own control plane and agent (temporary, removed at the end).",
        "On exit, Ctrl-C included, it deletes its namespace, pods, links and bridge.",
      ].join("\n"),
    },
    async (parsed, _env, io) => {
      const node = parsed.values.node ?? localNodeName(deps.hostname());
      if (!NODE_NAME.test(node))
        throw new UsageError(`--node must be a DNS-1123 subdomain; got ${JSON.stringify(node)}`);
      if (!deps.isRoot())
        throw new CliError(
          "palisade demo needs root: it creates network namespaces and attaches eBPF programs",
        );
      const say = (line: string) => io.stdout.write(`${line}\n`);
      const abort = new AbortController();
      const untrap = deps.trapStopSignals((signal) => {
        say(`${signal}: stopping; removing what the demo created`);
        abort.abort();
      });
      const checkpoint = () => {
        if (abort.signal.aborted) throw new Interrupted();
      };
      const cleanups: { what: string; run: () => Promise<unknown> | unknown }[] = [];
      try {
        const prefix = deps.prefix();
        say(`demo prefix: ${prefix} (every name it creates starts with it)`);
        const target = await reach(
          parsed.values.server ?? DEFAULT_SERVER,
          node,
          prefix,
          parsed,
          io,
          deps,
          cleanups,
          say,
        );
        checkpoint();
        const ok = await play(target, node, prefix, cleanups, checkpoint, say);
        return ok ? EXIT_OK : EXIT_FAILED;
      } catch (error) {
        if (error instanceof Interrupted) return EXIT_INTERRUPTED;
        throw error;
      } finally {
        for (const c of cleanups.splice(0).reverse()) {
          try {
            await c.run();
          } catch (error) {
            io.stderr.write(`palisade demo: removing ${c.what} failed: ${String(error)}\n`);
          }
        }
        say("removed the demo's namespace, pods, links and bridge");
        untrap();
      }
    },
  );
}

/** The control plane at `server` with a connected agent for `node`, or a temporary stack. */
async function reach(
  server: string,
  node: string,
  prefix: string,
  parsed: Parameters<typeof connect>[0],
  io: Io,
  deps: DemoDeps,
  cleanups: { what: string; run: () => Promise<unknown> | unknown }[],
  say: (line: string) => void,
): Promise<Target> {
  const answers = await fetch(`${server.replace(/\/+$/, "")}/healthz`).then(
    () => true,
    () => false,
  );
  if (answers) {
    const client = await connect(parsed, io);
    const status = (await client
      .request("GET", `/v1/nodes/${encodeURIComponent(node)}`)
      .catch(() => null)) as {
      connected?: boolean;
    } | null;
    if (!status?.connected)
      throw new CliError(
        `no agent for node ${node} is connected to ${server}: start one with \`palisade up\`, or name the node with --node`,
      );
    say(`using the control plane at ${server} and the agent of node ${node}`);
    return { client, metricsUrl: requireValue(parsed, "metrics").replace(/\/+$/, "") };
  }
  say(`nothing answers at ${server}: starting a temporary control plane and agent (bpf datapath)`);
  const dir = mkdtempSync(join(tmpdir(), "palisade-demo-"));
  const bpffs = `/sys/fs/bpf/palisade-demo-${prefix}`;
  cleanups.push({
    what: "the temporary files",
    run: () => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(bpffs, { recursive: true, force: true });
    },
  });
  const adminToken = `pal_demo_${prefix}_${Math.random().toString(36).slice(2)}`;
  const stack = await startLocalStack(
    {
      listen: "127.0.0.1:0",
      dbPath: join(dir, "palisade.db"),
      adminToken,
      node,
      stateDir: join(dir, "agent"),
      bpffs,
      metricsListen: "127.0.0.1:0",
      datapath: "bpf",
      removeOnExit: true,
      log: (line) => {
        if (line.level === "error") io.stderr.write(`${JSON.stringify(line)}\n`);
      },
    },
    await deps.loadParts(),
  );
  cleanups.push({ what: "the temporary control plane and agent", run: () => stack.stop() });
  const client = createClient({ server: stack.url, token: adminToken }, io);
  for (let i = 0; ; i++) {
    const s = (await client.request("GET", `/v1/nodes/${encodeURIComponent(node)}`).catch(() => null)) as {
      connected?: boolean;
    } | null;
    if (s?.connected) break;
    if (i > 200) throw new CliError(`the temporary agent for node ${node} did not connect`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { client, metricsUrl: stack.metricsUrl };
}

export const demoCommand = createDemoCommand({
  isRoot: () => process.getuid?.() === 0,
  loadParts: loadStackParts,
  trapStopSignals,
  hostname,
  prefix: demoPrefix,
});
