import { describe, expect, it } from 'vitest';
import type { ResultsFile, StrategyResult } from '../reports/contract.js';
import { parseResults } from '../reports/validate.js';
import { aggregateSeeds, medianInterval, sdOfInterval, tCritical, tInterval } from '../scenarios/stats/confidence.js';

/** A single-seed strategy result with the given p99, cost and error rate. */
function result(strategy: string, p99: number, cost: number, errorRate: number, failoverS: number | null): StrategyResult {
  return {
    strategy,
    summary: {
      requests: 1000,
      ok: 1000 * (1 - errorRate),
      errors: 1000 * errorRate,
      errorRate,
      throughputRps: 50,
      latencyMs: { p50: p99 / 4, p90: p99 / 2, p99, p999: p99 * 2, max: p99 * 3 },
      ttftMs: { p50: 100, p99: 400 },
      costUsd: cost,
      costPer1kOk: cost,
      attemptsPerRequest: 1,
      providerShare: p99 > 105 ? { a: 0.5, b: 0.5 } : { a: 1 },
      failoverS,
      recoverS: null,
    },
    timeline: [{ t: 0, rps: 50, p50: 10, p99, errors: 0, costUsd: cost, share: { a: 1 } }],
    regret: { costUsd: cost / 10, p99Ms: p99 / 10, errors: 1 },
  };
}

function file(seed: number, rs: StrategyResult[]): ResultsFile {
  return { scenario: 'synthetic', mode: 'sim', seed, durationS: 10, strategies: rs };
}

describe('Student t intervals', () => {
  it('matches the textbook interval on known numbers', () => {
    // x = 1..5: mean 3, s = sqrt(2.5) = 1.58114, t_{0.975,4} = 2.776445, half = t s / sqrt(5) = 1.963243
    const ci = tInterval([1, 2, 3, 4, 5]);
    expect(tCritical(4)).toBeCloseTo(2.776445, 5);
    expect(ci.mean).toBe(3);
    expect(ci.lo).toBeCloseTo(3 - 1.963243, 5);
    expect(ci.hi).toBeCloseTo(3 + 1.963243, 5);
    expect(ci.n).toBe(5);
    expect(sdOfInterval(ci)).toBeCloseTo(Math.sqrt(2.5), 9);
  });

  it('uses t, not the normal 1.96, for few seeds; a single seed has a zero-width interval', () => {
    expect(tCritical(2)).toBeCloseTo(4.302653, 5);
    expect(tCritical(1e9)).toBeCloseTo(1.959964, 5);
    expect(tInterval([7])).toEqual({ mean: 7, lo: 7, hi: 7, n: 1 });
  });
});

describe('aggregateSeeds', () => {
  const files = [
    file(1, [result('rr', 100, 0.1, 0.01, 2), result('w', 90, 0.2, 0, null)]),
    file(2, [result('rr', 110, 0.12, 0.02, null), result('w', 90, 0.2, 0, null)]),
    file(3, [result('rr', 120, 0.14, 0.03, 4), result('w', 90, 0.2, 0, null)]),
  ];
  const agg = aggregateSeeds(files);

  it('fills StrategyResult.ci with mean and t-interval per metric', () => {
    const rr = agg.strategies[0]!;
    // p99 100, 110, 120: mean 110, s = 10, half = 4.302653 * 10 / sqrt(3) = 24.8414
    const p99 = rr.ci!['latencyMs.p99']!;
    expect(p99.mean).toBeCloseTo(110, 9);
    expect(p99.hi - p99.mean).toBeCloseTo(24.8414, 3);
    expect(p99.n).toBe(3);
    expect(rr.summary.latencyMs.p99).toBeCloseTo(110, 9);
    expect(rr.ci!.costPer1kOk!.mean).toBeCloseTo(0.12, 12);
    expect(rr.ci!.errorRate!.mean).toBeCloseTo(0.02, 12);
    expect(rr.ci!['regret.p99Ms']!.mean).toBeCloseTo(11, 9);
    // failoverS: null in one seed -> interval over the two seeds that had one
    expect(rr.ci!.failoverS).toMatchObject({ mean: 3, n: 2 });
    expect(rr.summary.failoverS).toBe(3);
    expect(rr.summary.recoverS).toBeNull();
    expect(rr.ci!.recoverS).toBeUndefined();
    // a provider missing in one seed counts as share 0 there
    expect(rr.summary.providerShare.a).toBeCloseTo((1 + 0.5 + 0.5) / 3, 9);
  });

  it('gives identical seeds a zero-width interval and keeps order, seeds and validity', () => {
    const w = agg.strategies[1]!;
    expect(w.ci!['latencyMs.p99']).toEqual({ mean: 90, lo: 90, hi: 90, n: 3 });
    expect(agg.strategies.map((s) => s.strategy)).toEqual(['rr', 'w']);
    expect(agg.seeds).toEqual([1, 2, 3]);
    expect(agg.seed).toBe(1);
    expect(() => parseResults(JSON.parse(JSON.stringify(agg)))).not.toThrow();
    expect(agg.strategies[0]!.timeline[0]!.p99).toBeCloseTo(110, 9);
  });

  it('names the file and strategy when results do not line up', () => {
    expect(() => aggregateSeeds([])).toThrow(/no results/);
    expect(() => aggregateSeeds([files[0]!, file(2, [result('rr', 1, 1, 0, null)])])).toThrow(/results\[1\] \(seed 2\) has no strategy "w"/);
    expect(() => aggregateSeeds([files[0]!, { ...files[1]!, scenario: 'other' }])).toThrow(/results\[1\]\.scenario/);
  });
});

describe('medianInterval (distribution-free 95% interval of a median, bench/store.ts)', () => {
  const xs = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
  it('picks the order statistics of the binomial table: n=10 -> 2nd and 9th, n=20 -> 6th and 15th, n=6 -> 1st and 6th', () => {
    expect(medianInterval(xs(10))).toEqual([2, 9]);
    expect(medianInterval(xs(20))).toEqual([6, 15]);
    expect(medianInterval(xs(6))).toEqual([1, 6]);
  });
  it('has no 95% interval below 6 values, nor for a value that is not a finite number', () => {
    expect(medianInterval(xs(5))).toBeNull();
    expect(medianInterval([])).toBeNull();
    expect(medianInterval([1, 2, 3, 4, 5, Number.NaN])).toBeNull();
  });
  it('works for any n (log-space binomial): n=2000 -> the 956th and 1045th', () => {
    // P(X <= 955) <= 0.025 < P(X <= 956) for X ~ Binomial(2000, 1/2) (normal approximation: 1000 - 1.96·sqrt(500) = 956.2).
    expect(medianInterval(xs(2000))).toEqual([956, 1045]);
  });
});
