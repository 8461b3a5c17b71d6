// Owns the kernel's in-situ run statistics (bpf_stats): turning them on for a measurement's
// lifetime, and the cost per invocation of a set of programs between two samples.
import { native } from "./native.ts";
import type { Program } from "./program.ts";

/**
 * Run-time statistics (run_time_ns, run_cnt of every BPF program on the host) stay on until
 * close(). They are host-wide whichever way they are turned on: every program on the machine pays
 * two clock reads per run while they are on, so hold them only for a measurement. Unlike the sysctl
 * kernel.bpf_stats_enabled, this holds a file descriptor: closing it (or the process exiting, even
 * by a crash) turns them back off unless another holder keeps them on, and nothing is left to
 * restore. close() is idempotent.
 */
export interface RunStatsSession {
  close(): void;
}

export function enableRunStats(): RunStatsSession {
  let fd = native().enableRunStats();
  return {
    close() {
      if (fd >= 0) native().closeFd(fd);
      fd = -1;
    },
  };
}

/** Run time and invocations summed over programs (cumulative since each program was loaded). */
export interface RunStatsSample {
  runTimeNs: bigint;
  runCount: bigint;
}

export function sampleRunStats(programs: readonly Program[]): RunStatsSample {
  let runTimeNs = 0n;
  let runCount = 0n;
  for (const p of programs) {
    const s = p.stats();
    runTimeNs += s.runTimeNs;
    runCount += s.runCount;
  }
  return { runTimeNs, runCount };
}

/** Average ns per invocation between two samples of the same programs (NaN when none ran). */
export function nsPerRun(before: RunStatsSample, after: RunStatsSample): { ns: number; runs: number } {
  const runs = Number(after.runCount - before.runCount);
  return { ns: runs > 0 ? Number(after.runTimeNs - before.runTimeNs) / runs : Number.NaN, runs };
}
