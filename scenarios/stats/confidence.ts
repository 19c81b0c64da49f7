import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import type { Interval, ResultsFile, StrategyResult, StrategySummary, TimelinePoint } from '../../reports/contract.js';

/**
 * Mean and 95% confidence interval across seeds (Student t), and the aggregation of
 * several single-seed results.json into one whose numbers are means and whose
 * StrategyResult.ci holds the intervals. Seeds are independent replications of the
 * same scenario, so for n values x_1..x_n of one metric:
 *   mean = Σx / n,   s = sqrt(Σ(x - mean)² / (n - 1)),
 *   half = t_{0.975, n-1} · s / √n,   CI = [mean - half, mean + half]
 * With n = 1 the spread is unknown: lo = hi = mean (n says so).
 * ci keys follow reports/data.ts CI_KEYS: the metric's path in `summary`
 * ("latencyMs.p99", "costPer1kOk") or "regret.<field>".
 */

export const CONFIDENCE = 0.95;

/** Metric paths that get an interval (summary paths, then regret). */
export const SUMMARY_CI_KEYS = [
  'requests',
  'ok',
  'errors',
  'errorRate',
  'throughputRps',
  'latencyMs.p50',
  'latencyMs.p90',
  'latencyMs.p99',
  'latencyMs.p999',
  'latencyMs.max',
  'ttftMs.p50',
  'ttftMs.p99',
  'costUsd',
  'costPer1kOk',
  'attemptsPerRequest',
  'failoverS',
  'recoverS',
  'qualityOk',
  'cachedTokenShare',
  'cacheSavingsUsd',
  'oracleCachedTokenShare',
  'responseCacheHits',
  'responseCacheHitRate',
  'responseCacheSavedUsd',
  'attemptCostUsd',
  'wastedUsd',
  'attemptCostPer1kOk',
  'goodputRps',
] as const;
export const REGRET_CI_KEYS = ['regret.costUsd', 'regret.p99Ms', 'regret.errors'] as const;

/** t_{(1+level)/2, df}: the two-sided critical value (df may be fractional, as in Welch's test). */
export function tCritical(df: number, level = CONFIDENCE): number {
  if (!(df > 0)) return Infinity;
  return tQuantile((1 + level) / 2, df);
}

export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length ? s / xs.length : NaN;
}

/** Sample standard deviation (n - 1 in the denominator); 0 for fewer than 2 values. */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return Math.sqrt(ss / (xs.length - 1));
}

/** Mean and Student-t interval of independent replications. */
export function tInterval(xs: readonly number[], level = CONFIDENCE): Interval {
  const n = xs.length;
  if (n === 0) throw new Error('tInterval: no values');
  const m = mean(xs);
  if (n === 1) return { mean: m, lo: m, hi: m, n };
  const half = (tCritical(n - 1, level) * sampleSd(xs)) / Math.sqrt(n);
  return { mean: m, lo: m - half, hi: m + half, n };
}

/** The sample sd an interval was built from: s = half · √n / t_{0.975, n-1} (0 when n < 2). */
export function sdOfInterval(ci: Interval, level = CONFIDENCE): number {
  if (ci.n < 2) return 0;
  return (((ci.hi - ci.lo) / 2) * Math.sqrt(ci.n)) / tCritical(ci.n - 1, level);
}

/** Read a dotted path ("latencyMs.p99", "regret.costUsd") from a strategy result; undefined if absent or not a finite number. */
export function metricOf(s: StrategyResult, key: string): number | undefined {
  const [root, ...rest] = key.split('.');
  let v: unknown = root === 'regret' ? s.regret : (s.summary as unknown as Record<string, unknown>)[root!];
  for (const k of rest) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

const meanOr = (xs: number[], fallback: number): number => (xs.length ? mean(xs) : fallback);

/** Per-key mean of several Record<string, number> (a missing key counts as 0: a provider that got no traffic). */
function meanRecord(recs: ReadonlyArray<Readonly<Record<string, number>> | undefined>): Record<string, number> {
  const keys = new Set<string>();
  for (const r of recs) for (const k of Object.keys(r ?? {})) keys.add(k);
  const out: Record<string, number> = {};
  for (const k of [...keys].sort()) out[k] = mean(recs.map((r) => r?.[k] ?? 0));
  return out;
}

/** The mean summary of one strategy over seeds (nullable fields: mean of the non-null ones, else null). */
function meanSummary(ss: readonly StrategySummary[]): StrategySummary {
  const f = (get: (s: StrategySummary) => number): number => mean(ss.map(get));
  const nullable = (get: (s: StrategySummary) => number | null): number | null => {
    const xs = ss.map(get).filter((x): x is number => x !== null);
    return xs.length ? mean(xs) : null;
  };
  const out: StrategySummary = {
    requests: f((s) => s.requests),
    ok: f((s) => s.ok),
    errors: f((s) => s.errors),
    errorRate: f((s) => s.errorRate),
    throughputRps: f((s) => s.throughputRps),
    latencyMs: {
      p50: f((s) => s.latencyMs.p50),
      p90: f((s) => s.latencyMs.p90),
      p99: f((s) => s.latencyMs.p99),
      p999: f((s) => s.latencyMs.p999),
      max: f((s) => s.latencyMs.max),
    },
    ttftMs: { p50: f((s) => s.ttftMs.p50), p99: f((s) => s.ttftMs.p99) },
    costUsd: f((s) => s.costUsd),
    costPer1kOk: f((s) => s.costPer1kOk),
    attemptsPerRequest: f((s) => s.attemptsPerRequest),
    providerShare: meanRecord(ss.map((s) => s.providerShare)),
    failoverS: nullable((s) => s.failoverS),
    recoverS: nullable((s) => s.recoverS),
  };
  if (ss.some((s) => s.errorsByKind)) out.errorsByKind = meanRecord(ss.map((s) => s.errorsByKind));
  const q = ss.map((s) => s.qualityOk).filter((x): x is number => x !== undefined);
  if (q.length) out.qualityOk = mean(q);
  for (const k of ['cachedTokenShare', 'cacheSavingsUsd', 'oracleCachedTokenShare', 'responseCacheHits', 'responseCacheHitRate', 'responseCacheSavedUsd', 'attemptCostUsd', 'wastedUsd', 'attemptCostPer1kOk', 'goodputRps'] as const) {
    const xs = ss.map((s) => s[k]).filter((x): x is number => x !== undefined);
    if (xs.length) out[k] = mean(xs);
  }
  return out;
}

/** Pointwise mean of timelines by second `t` (a second missing in one seed is left out of that second's mean). */
function meanTimeline(tls: ReadonlyArray<readonly TimelinePoint[]>): TimelinePoint[] {
  const byT = new Map<number, TimelinePoint[]>();
  for (const tl of tls) for (const p of tl) (byT.get(p.t) ?? byT.set(p.t, []).get(p.t)!).push(p);
  return [...byT.keys()]
    .sort((a, b) => a - b)
    .map((t) => {
      const ps = byT.get(t)!;
      return {
        t,
        rps: mean(ps.map((p) => p.rps)),
        p50: mean(ps.map((p) => p.p50)),
        p99: mean(ps.map((p) => p.p99)),
        errors: mean(ps.map((p) => p.errors)),
        costUsd: mean(ps.map((p) => p.costUsd)),
        share: meanRecord(ps.map((p) => p.share)),
      };
    });
}

/** Intervals for every metric present in at least one seed. */
export function intervalsOf(runs: readonly StrategyResult[], level = CONFIDENCE): Record<string, Interval> {
  const ci: Record<string, Interval> = {};
  for (const key of [...SUMMARY_CI_KEYS, ...REGRET_CI_KEYS]) {
    const xs = runs.map((r) => metricOf(r, key)).filter((x): x is number => x !== undefined);
    if (xs.length) ci[key] = tInterval(xs, level);
  }
  return ci;
}

/** Aggregate one strategy's per-seed results: mean summary, mean timeline, mean regret, CIs. */
export function aggregateStrategy(runs: readonly StrategyResult[], level = CONFIDENCE): StrategyResult {
  const first = runs[0];
  if (!first) throw new Error('aggregateStrategy: no runs');
  const out: StrategyResult = {
    strategy: first.strategy,
    summary: meanSummary(runs.map((r) => r.summary)),
    timeline: meanTimeline(runs.map((r) => r.timeline)),
    ci: intervalsOf(runs, level),
  };
  if (first.params) out.params = first.params;
  const regrets = runs.map((r) => r.regret).filter((r) => r !== undefined);
  if (regrets.length)
    out.regret = {
      costUsd: meanOr(regrets.map((r) => r.costUsd), 0),
      p99Ms: meanOr(regrets.map((r) => r.p99Ms), 0),
      errors: meanOr(regrets.map((r) => r.errors), 0),
    };
  return out;
}

/**
 * Several single-seed results of the same scenario -> one results file: per strategy the
 * mean of every number, and ci[metric] = the 95% Student-t interval across the files.
 * Strategies keep the first file's order; every file must hold the same strategies.
 * `seeds` lists each file's seed; `seed` is the first.
 */
export function aggregateSeeds(results: ResultsFile[], level = CONFIDENCE): ResultsFile {
  const first = results[0];
  if (!first) throw new Error('aggregateSeeds: no results to aggregate');
  for (const [i, r] of results.entries()) {
    if (r.scenario !== first.scenario)
      throw new Error(`aggregateSeeds: results[${i}].scenario is "${r.scenario}", expected "${first.scenario}" (one scenario at a time)`);
  }
  const names = first.strategies.map((s) => s.strategy);
  const strategies = names.map((name) => {
    const runs = results.map((r, i) => {
      const s = r.strategies.find((x) => x.strategy === name);
      if (!s) throw new Error(`aggregateSeeds: results[${i}] (seed ${r.seed}) has no strategy "${name}"`);
      return s;
    });
    return aggregateStrategy(runs, level);
  });
  const out: ResultsFile = {
    ...first,
    seed: first.seed,
    seeds: results.flatMap((r) => (r.seeds && r.seeds.length ? r.seeds : [r.seed])),
    strategies,
  };
  return out;
}

/**
 * A distribution-free interval for the median of sorted values, at least 95%: the order
 * statistics (k, n+1-k) with the largest k such that P(Binomial(n, 1/2) < k) <= 0.025 (its
 * coverage is 1 - 2·P(X < k): 97.9% at n = 10, 95.9% at n = 20). The binomial terms are summed
 * in log space, so any n works. Null below 6 values (no such k exists) or when a value is not a
 * finite number.
 */
export function medianInterval(sorted: readonly number[]): [number, number] | null {
  const n = sorted.length;
  if (!sorted.every(Number.isFinite)) return null;
  const logHalfN = n * Math.log(0.5);
  let cdf = 0;
  let k = 0;
  let logC = 0; // ln C(n, i)
  for (let i = 0; i <= n; i++) {
    if (i > 0) logC += Math.log((n - i + 1) / i);
    const p = Math.exp(logC + logHalfN);
    if (cdf + p > 0.025) break;
    cdf += p;
    k = i + 1;
  }
  return k >= 1 ? [sorted[k - 1]!, sorted[n - k]!] : null;
}
