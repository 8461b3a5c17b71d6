// Owns what the CNI harness reads back from the host to prove a clean teardown, and the sync
// helpers teardown needs: links on a bridge, host-local allocations, mounts under a directory.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Names of the links enslaved to `bridge` (the host-side veths), [] when the bridge is gone. */
export function bridgePorts(bridge: string): string[] {
  const r = spawnSync("ip", ["-j", "link", "show", "master", bridge], { encoding: "utf8" });
  if (r.status !== 0 || !r.stdout.trim()) return [];
  return (JSON.parse(r.stdout) as { ifname: string }[]).map((l) => l.ifname);
}

export function linkExists(name: string): boolean {
  return spawnSync("ip", ["link", "show", "dev", name], { stdio: "ignore" }).status === 0;
}

/** Addresses host-local holds for `network` in its data dir (one file per allocated IP). */
export function ipamAllocations(ipamDir: string, network: string): string[] {
  const dir = join(ipamDir, network);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => /^[0-9.]+$/.test(f) || f.includes(":"));
}

/** Mount points at or below `dir`, deepest first (the order to unmount them in). */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .map((p) => p.replace(/\\040/g, " "))
    .filter((p) => p === dir || p.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/**
 * Unmounts everything below `dir` (runtimes leave shm, rootfs and netns mounts behind when they
 * are stopped with pods still running); lazily when busy, so a later rm -rf never crosses a mount.
 */
export function unmountUnder(dir: string): void {
  for (let pass = 0; pass < 3; pass++) {
    const mounts = mountsUnder(dir);
    if (mounts.length === 0) return;
    for (const m of mounts) {
      if (spawnSync("umount", [m], { stdio: "ignore" }).status !== 0)
        spawnSync("umount", ["-l", m], { stdio: "ignore" });
    }
  }
}

/** PIDs whose command line contains `needle` (e.g. a runtime's socket path), never our own. */
export function pidsWithArg(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").includes(needle))
        pids.push(Number(entry));
    } catch {
      // the process exited while we looked
    }
  }
  return pids;
}

/** Blocks for `ms` (teardown runs in exit handlers, where nothing asynchronous may run). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** SIGTERM, then SIGKILL after `graceMs` if the process is still there; waits until it is gone. */
export function terminateSync(pid: number, graceMs = 5000): void {
  // A child that exited stays a zombie until the event loop reaps it: count that as gone.
  const alive = () => {
    try {
      return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
    } catch {
      return false;
    }
  };
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) sleepSync(20);
  if (alive()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
    while (alive() && Date.now() < deadline + 2000) sleepSync(20);
  }
}
