// Owns reading the control plane's /metrics text for the benchmark: a plain gauge's value and a
// histogram's buckets, the difference of two readings, and quantiles as bucket bounds.

export interface HistogramReading {
  /** Upper bounds (`le`, ascending, the last is Infinity) with their cumulative counts. */
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
}

/** The value of an unlabelled sample `name`; throws naming the metric when it is absent. */
export function gaugeValue(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{\\})? (\\S+)`, "m").exec(text);
  if (!m) throw new Error(`metric ${name} is not in the /metrics answer`);
  return Number(m[1]);
}

export function histogramReading(text: string, name: string): HistogramReading {
  const buckets: HistogramReading["buckets"] = [];
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)`, "gm"))) {
    buckets.push({ le: m[1] === "+Inf" ? Number.POSITIVE_INFINITY : Number(m[1]), count: Number(m[2]) });
  }
  if (buckets.length === 0) throw new Error(`histogram ${name} is not in the /metrics answer`);
  return { buckets, sum: gaugeValue(text, `${name}_sum`), count: gaugeValue(text, `${name}_count`) };
}

/** What was observed between two readings of the same histogram. */
export function histogramSince(after: HistogramReading, before: HistogramReading): HistogramReading {
  return {
    buckets: after.buckets.map((b, i) => ({ le: b.le, count: b.count - (before.buckets[i]?.count ?? 0) })),
    sum: after.sum - before.sum,
    count: after.count - before.count,
  };
}

/** The upper bound of the bucket holding the nearest-rank quantile `q` (0 < q <= 1), in seconds. */
export function bucketBound(h: HistogramReading, q: number): number {
  if (h.count === 0) throw new RangeError("bucketBound needs at least one observation, got none");
  const rank = Math.ceil(q * h.count);
  return h.buckets.find((b) => b.count >= rank)!.le;
}
