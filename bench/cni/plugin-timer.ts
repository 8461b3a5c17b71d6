// Owns timing CNI plugin execs inside a runtime: a bash wrapper put in place of a plugin in a run's
// CNI bin dir runs the real binary and appends `<plugin> <command> <containerId> <start> <end>` to a
// log, and the log is read back per container. The runtime invokes the chain exactly as it would
// without us; the wrapper costs one bash start and fork per exec (measured by `wrapperOverheadMs`).
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PluginExec {
  plugin: string;
  command: string;
  containerId: string;
  /** Epoch milliseconds (microsecond resolution). */
  startMs: number;
  endMs: number;
}

/** The wrapper (pure). EPOCHREALTIME reads the clock without forking `date`. */
export function wrapperScript(plugin: string, real: string, log: string): string {
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  return `#!/bin/bash
# bench/cni: times ${plugin} for the pod-start benchmark; stdin, stdout and the exit code pass through.
LC_ALL=C
start=$EPOCHREALTIME
${q(real)} "$@"
rc=$?
printf '%s %s %s %s %s\\n' ${q(plugin)} "$CNI_COMMAND" "$CNI_CONTAINERID" "$start" "$EPOCHREALTIME" >> ${q(log)}
exit $rc
`;
}

/** Replaces `<binDir>/<plugin>` (usually a symlink) with a wrapper around `real`. */
export function wrapPlugin(binDir: string, plugin: string, real: string, log: string): void {
  if (!existsSync(real)) throw new Error(`cannot wrap ${plugin}: ${real} does not exist`);
  const path = join(binDir, plugin);
  rmSync(path, { force: true });
  writeFileSync(path, wrapperScript(plugin, real, log));
  chmodSync(path, 0o755);
}

/** Parses a wrapper log (pure); malformed lines (none expected) are skipped. */
export function parseExecLog(text: string): PluginExec[] {
  const execs: PluginExec[] = [];
  for (const line of text.split("\n")) {
    const [plugin, command, containerId, start, end] = line.split(" ");
    if (!plugin || !command || !containerId || !start || !end) continue;
    execs.push({ plugin, command, containerId, startMs: Number(start) * 1000, endMs: Number(end) * 1000 });
  }
  return execs;
}

export function readExecLog(log: string): PluginExec[] {
  return existsSync(log) ? parseExecLog(readFileSync(log, "utf8")) : [];
}

export interface ChainTiming {
  /** First wrapped plugin's start to last wrapped plugin's end. */
  chainMs: number;
  /** Each plugin's exec time (bridge includes host-local, which it runs itself). */
  pluginMs: Record<string, number>;
}

/** The ADD of one container's chain, from the execs of `plugins` (pure); undefined if one is missing. */
export function chainAdd(
  execs: PluginExec[],
  containerId: string,
  plugins: string[],
): ChainTiming | undefined {
  const mine = execs.filter((e) => e.command === "ADD" && e.containerId === containerId);
  const pluginMs: Record<string, number> = {};
  for (const p of plugins) {
    const e = mine.find((x) => x.plugin === p);
    if (!e) return undefined;
    pluginMs[p] = e.endMs - e.startMs;
  }
  const used = mine.filter((e) => plugins.includes(e.plugin));
  const chainMs = Math.max(...used.map((e) => e.endMs)) - Math.min(...used.map((e) => e.startMs));
  return { chainMs, pluginMs };
}

/**
 * What a wrapper adds to one exec here: median spawn-to-exit of a wrapped /bin/true minus that of
 * /bin/true itself, interleaved. It is in RunPodSandbox on both sides (one wrapped plugin without
 * palisade, two with), not in the wrapper-timed ADD figures.
 */
export function wrapperOverheadMs(runs = 30): number {
  const dir = join(tmpdir(), `palisade-bench-wrap-${process.pid}`);
  const script = `${dir}.sh`;
  writeFileSync(script, wrapperScript("true", "/bin/true", `${dir}.log`));
  chmodSync(script, 0o755);
  try {
    const wrapped: number[] = [];
    const plain: number[] = [];
    const time = (cmd: string) => {
      const t = performance.now();
      spawnSync(cmd, [], { stdio: "ignore" });
      return performance.now() - t;
    };
    for (let i = 0; i < runs; i++) {
      wrapped.push(time(script));
      plain.push(time("/bin/true"));
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return med(wrapped) - med(plain);
  } finally {
    rmSync(script, { force: true });
    rmSync(`${dir}.log`, { force: true });
  }
}
