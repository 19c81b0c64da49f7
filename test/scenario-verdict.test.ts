/** Paired verdicts: the interval on a hand-checked example, the correction, the sentences. */
import { describe, expect, it } from 'vitest';
import type { StrategyResult } from '../reports/contract.js';
import { metricLines, pairSentence } from '../reports/verdict-text.js';
import { tCritical } from '../scenarios/stats/confidence.js';
import { bonferroniLevel, buildVerdict, checkExpectedWinner, metricVerdict } from '../scenarios/stats/verdict.js';

/** A strategy result carrying only what the verdict reads. */
function r(strategy: string, p99: number, errorRate = 0): StrategyResult {
  return {
    strategy,
    summary: {
      requests: 100, ok: 100, errors: 0, errorRate, throughputRps: 1,
      latencyMs: { p50: 1, p90: 1, p99, p999: p99, max: p99 }, ttftMs: { p50: 1, p99: 1 },
      costUsd: 0, costPer1kOk: 0, attemptsPerRequest: 1, providerShare: {}, failoverS: null, recoverS: null,
    },
    timeline: [],
  };
}

// Four seeds; A is faster than B on every seed by 2 or 3 ms; C is A ± 1 ms.
const A = [10, 12, 11, 13];
const B = [12, 15, 13, 16];
const C = [11, 11, 12, 12];
const runs = (xs: number[], name: string): StrategyResult[] => xs.map((x) => r(name, x));

describe('paired interval', () => {
  it('matches a hand-checked example (two strategies: one comparison, no correction)', () => {
    // d = B - A = [2, 3, 2, 3]: mean 2.5, s = sqrt(1/3) = 0.577350, se = s/2 = 0.288675,
    // t_{0.975,3} = 3.182446, half = 0.918689 -> [1.581311, 3.418689]
    const v = metricVerdict('latencyMs.p99', ['A', 'B'], [runs(A, 'A'), runs(B, 'B')]);
    const p = v.pairs[0]!;
    expect(p).toMatchObject({ a: 'A', b: 'B', significant: true, baseMean: 14 });
    expect(p.advantage.n).toBe(4);
    expect(p.advantage.mean).toBeCloseTo(2.5, 12);
    expect(p.advantage.lo).toBeCloseTo(1.581311, 5);
    expect(p.advantage.hi).toBeCloseTo(3.418689, 5);
    expect(v.winner).toBe('A');
    expect(pairSentence(v, p)).toBe('A beats B on p99 by 18% (11–24%, 4 seeds)');
  });

  it('widens every interval by Bonferroni over the k(k-1)/2 pairs', () => {
    expect(bonferroniLevel(3)).toBeCloseTo(1 - 0.05 / 3, 12);
    const v = metricVerdict('latencyMs.p99', ['A', 'B', 'C'], [runs(A, 'A'), runs(B, 'B'), runs(C, 'C')]);
    const ab = v.pairs.find((p) => p.a === 'A' && p.b === 'B')!;
    const half = (tCritical(3, 1 - 0.05 / 3) * Math.sqrt(1 / 3)) / 2;
    expect(ab.advantage.hi - ab.advantage.mean).toBeCloseTo(half, 9);
    expect(half).toBeGreaterThan(0.918689);
  });

  it('a difference that changes sign between seeds is not significant, and says so', () => {
    const v = metricVerdict('latencyMs.p99', ['A', 'C'], [runs(A, 'A'), runs(C, 'C')]);
    const p = v.pairs[0]!;
    expect(p.significant).toBe(false);
    expect(p.advantage.lo).toBeLessThan(0);
    expect(pairSentence(v, p)).toMatch(/^[AC] vs [AC] on p99: no significant difference \([AC] ahead by 0%, -\d+–\d+%, 4 seeds\)$/);
    expect(v.winner).toBeNull();
    expect(metricLines(v)[0]).toBe('p99: no significant difference between any two strategies (0/1 pairs significant)');
  });

  it('higher-is-better metrics and rates in percentage points', () => {
    const q = (name: string, xs: number[]): StrategyResult[] => xs.map((x) => ({ ...r(name, 1), summary: { ...r(name, 1).summary, qualityOk: x } }));
    const v = metricVerdict('qualityOk', ['lo', 'hi'], [q('lo', [0.8, 0.81, 0.79, 0.8]), q('hi', [0.9, 0.9, 0.9, 0.91])]);
    expect(v.ranking.map((x) => x.strategy)).toEqual(['hi', 'lo']);
    // d = [10, 9, 11, 11] pp: mean 10.25, s = 0.9574, half = 3.182446 · s / 2 = 1.5235
    expect(pairSentence(v, v.pairs[0]!)).toBe('hi beats lo on quality by 10.2 pp (8.7–11.8 pp, 4 seeds)');
  });

  it('one seed is never significant; the expected-winner check needs first place and a significant win', () => {
    const one = metricVerdict('latencyMs.p99', ['A', 'B'], [[r('A', 1)], [r('B', 100)]]);
    expect(one.pairs[0]!.significant).toBe(false);
    const v = buildVerdict({ question: 'q', metrics: ['latencyMs.p99'], seeds: [1, 2, 3, 4] }, A.map((_, i) => [r('A', A[i]!), r('B', B[i]!), r('C', C[i]!)]));
    const m = v.metrics[0]!;
    expect(checkExpectedWinner(m, 'A').ok).toBe(true);
    expect(checkExpectedWinner(m, 'B')).toMatchObject({ ok: false, reason: 'A ranks first on p99, not B' });
    expect(checkExpectedWinner(one, 'A')).toMatchObject({ ok: false, reason: 'A ranks first on p99 but beats no strategy significantly' });
  });
});

describe('a zero-width paired interval', () => {
  it('is judged by the exact sign test, not called significant from 2 identical differences', () => {
    const run = (goodputRps: number) => ({ strategy: 'x', summary: { goodputRps } }) as unknown as StrategyResult;
    // a is 1 req/s ahead of b on every seed: with 2 seeds p = 0.5 (not significant), with 12 seeds p = 2^-11 < 0.05.
    const two = metricVerdict('goodputRps', ['a', 'b'], [[run(5), run(6)], [run(4), run(5)]]);
    expect(two.pairs[0]!.significant).toBe(false);
    const a12 = Array.from({ length: 12 }, (_, i) => run(5 + i));
    const b12 = Array.from({ length: 12 }, (_, i) => run(4 + i));
    const twelve = metricVerdict('goodputRps', ['a', 'b'], [a12, b12]);
    expect(twelve.pairs[0]!.significant).toBe(true);
    expect(twelve.pairs[0]!.a).toBe('a');
  });
});
