// Owns the CNI plugin's test doubles: building the binary when stale, running it like a runtime
// does (env + stdin), and a fake agent on a unix socket that speaks wire/cni-socket.ts.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CniAnswer, type CniRequest, decodeCniRequest, encodeCniAnswer } from "../wire/cni-socket.ts";
import { PLUGIN_BUILD_PATH } from "./install.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const PLUGIN_BINARY = PLUGIN_BUILD_PATH;
export const PLUGIN_SOURCE_DIR = join(here, "plugin");

/** Builds cni/build/palisade when it is missing or older than a source file (cni/build.mjs). */
export function ensurePluginBuilt(): string {
  const built = existsSync(PLUGIN_BINARY) ? statSync(PLUGIN_BINARY).mtimeMs : 0;
  const newest = Math.max(
    ...readdirSync(PLUGIN_SOURCE_DIR).map((name) => statSync(join(PLUGIN_SOURCE_DIR, name)).mtimeMs),
  );
  if (built < newest) {
    const result = spawnSync(process.execPath, [join(here, "build.mjs")], { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`cni/build.mjs failed:\n${result.stdout}${result.stderr}`);
  }
  return PLUGIN_BINARY;
}

export interface PluginRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Spawn to exit, in milliseconds. */
  ms: number;
}

/** Runs a plugin binary with exactly `env` (nothing inherited) and `stdin`, as a runtime does. */
export function runPlugin(
  env: Record<string, string>,
  stdin: string | Buffer = "",
  binary = PLUGIN_BINARY,
): Promise<PluginRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(binary, [], { env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    // The plugin may exit before reading all of stdin (VERSION, a config over 1 MiB): EPIPE is fine.
    child.stdin.on("error", () => {});
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        ms: performance.now() - started,
      }),
    );
    child.stdin.end(stdin);
  });
}

/** How the fake agent treats one request: answer it, close without a byte, or never answer. */
export type FakeAgentReply = CniAnswer | "close" | "hang" | { raw: Buffer };

export interface FakeAgent {
  path: string;
  /** Raw bytes of every request, in arrival order. */
  raw: Buffer[];
  requests: CniRequest[];
  connections: number;
  close(): Promise<void>;
}

/** A unix socket server that reads each request to EOF, decodes it and replies. */
export async function startFakeAgent(
  path: string,
  reply: (request: CniRequest) => FakeAgentReply = () => ({ exitCode: 0, stdout: "" }),
): Promise<FakeAgent> {
  const sockets = new Set<Socket>();
  const agent: FakeAgent = { path, raw: [], requests: [], connections: 0, close: async () => {} };
  // allowHalfOpen: the plugin shuts down its write side and then waits for the answer.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    agent.connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => {
      const bytes = Buffer.concat(chunks);
      agent.raw.push(bytes);
      const request = decodeCniRequest(bytes);
      agent.requests.push(request);
      const answer = reply(request);
      if (answer === "hang") return;
      if (answer === "close") socket.end();
      else if ("raw" in answer) socket.end(answer.raw);
      else socket.end(encodeCniAnswer(answer));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, resolve);
  });
  agent.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return agent;
}
