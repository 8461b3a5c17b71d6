// Owns the benchmark's arithmetic: timing a call, percentiles (nearest rank) and memory readings.

/** Runs `fn` once; returns the wall time in milliseconds and its result. */
export function timed<T>(fn: () => T): [ms: number, result: T] {
  const start = performance.now();
  const result = fn();
  return [performance.now() - start, result];
}

/** The nearest-rank percentile `q` (0 < q <= 1) of `samples`. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) throw new RangeError("percentile needs at least one sample, got none");
  if (!(q > 0 && q <= 1)) throw new RangeError(`q must satisfy 0 < q <= 1, got ${q}`);
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.ceil(q * sorted.length) - 1]!;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 0.5);
}

export interface Spread {
  min: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export function spread(samples: readonly number[]): Spread {
  return {
    min: Math.min(...samples),
    p50: percentile(samples, 0.5),
    p99: percentile(samples, 0.99),
    max: Math.max(...samples),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
  };
}

export interface MemoryReading {
  rssMiB: number;
  heapUsedMiB: number;
  /** Whether a full GC ran first (only under --expose-gc); without it heapUsed includes garbage. */
  collected: boolean;
}

/** Runs a full GC when the process was started with --expose-gc; returns whether it could. */
export function collectGarbage(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return false;
  gc();
  gc();
  return true;
}

/** Memory in use now, after a forced full GC when the process was started with --expose-gc. */
export function memoryNow(): MemoryReading {
  const collected = collectGarbage();
  const m = process.memoryUsage();
  return { rssMiB: m.rss / 2 ** 20, heapUsedMiB: m.heapUsed / 2 ** 20, collected };
}

/** The highest resident set size the process has reached, in MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}
