// Summaries of timing samples: median and p95 (nearest rank), as the benchmark reports them.

export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

export function median(values) {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** { n, median, p95, min, max, mean } of finite samples, in the samples' unit, rounded to 0.01. */
export function summarize(values) {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  const round = (x) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : null);
  if (s.length === 0) return { n: 0, median: null, p95: null, min: null, max: null, mean: null };
  return {
    n: s.length,
    median: round(median(s)),
    p95: round(quantile(s, 0.95)),
    min: round(s[0]),
    max: round(s[s.length - 1]),
    mean: round(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

export const MiB = 1024 * 1024;
