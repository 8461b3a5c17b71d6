// Owns running host programs inside a pod's network namespace (`nsenter --net=PATH`), so tests can
// serve and probe from real pods whatever runtime created them: a TCP server, a TCP probe, the
// pod's routes. Only the network namespace is entered: the program and files are the host's.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { onCleanup } from "../../e2e/harness/cleanup.ts";
import { BUSYBOX } from "./image.ts";

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs `cmd args` in the netns; resolves (never rejects) when it exits or after `timeoutMs`. */
export function execInNetns(
  netns: string,
  cmd: string,
  args: string[],
  opts: { timeoutMs?: number; input?: string } = {},
): Promise<ExecResult> {
  return new Promise((resolve) => {
    const input = opts.input;
    const child = spawn("nsenter", [`--net=${netns}`, cmd, ...args], {
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs ?? 10_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
    if (child.stdin) {
      // The program may exit before reading its input (e.g. a refused connection): not an error.
      child.stdin.on("error", () => {});
      child.stdin.end(input);
    }
  });
}

/** A long-running program in the netns (e.g. `node pod-server.mjs`); killed at stop() or exit. */
export function spawnInNetns(
  netns: string,
  cmd: string,
  args: string[],
): { child: ChildProcess; stop: () => void } {
  const child = spawn("nsenter", [`--net=${netns}`, cmd, ...args], { stdio: ["pipe", "pipe", "inherit"] });
  const stop = onCleanup(`netns process ${cmd} in ${netns}`, () => child.kill("SIGKILL"));
  return { child, stop };
}

/** The pod's IPv4 default routes (the safety rule wants none). */
export function defaultRoutes(netns: string): string[] {
  const r = spawnSync("nsenter", [`--net=${netns}`, "ip", "-4", "route", "show", "default"], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`ip route in ${netns} failed: ${r.stderr.trim()}`);
  return r.stdout.split("\n").filter(Boolean);
}

/** IPv4 addresses (CIDR) on `dev` inside the netns. */
export function addressesIn(netns: string, dev = "eth0"): string[] {
  const r = spawnSync("nsenter", [`--net=${netns}`, "ip", "-j", "-4", "addr", "show", "dev", dev], {
    encoding: "utf8",
  });
  if (r.status !== 0) return [];
  const links = JSON.parse(r.stdout) as { addr_info: { local: string; prefixlen: number }[] }[];
  return links.flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`));
}

/**
 * Connects from inside `netns` to ip:port and returns what the server sent before closing, or
 * null when the connection failed or did not finish within `timeoutMs` (e.g. dropped by policy).
 */
export async function tcpProbe(
  netns: string,
  ip: string,
  port: number,
  timeoutMs = 2000,
): Promise<string | null> {
  const r = await execInNetns(netns, BUSYBOX, ["nc", ip, String(port)], { timeoutMs });
  return r.code === 0 && !r.timedOut ? r.stdout : null;
}

/**
 * A TCP server in the netns that answers every connection with `reply` and closes it (busybox
 * `nc -ll -e`); resolves once it answers on the pod's loopback.
 */
export async function startTcpServer(
  netns: string,
  port: number,
  reply = "hi",
): Promise<{ stop: () => void }> {
  const server = spawnInNetns(netns, BUSYBOX, [
    "nc",
    "-ll",
    "-p",
    String(port),
    "-e",
    BUSYBOX,
    "echo",
    reply,
  ]);
  const deadline = Date.now() + 10_000;
  while ((await tcpProbe(netns, "127.0.0.1", port, 1000)) === null) {
    if (server.child.exitCode !== null || Date.now() > deadline) {
      server.stop();
      throw new Error(`TCP server on port ${port} in ${netns} did not start`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { stop: server.stop };
}
