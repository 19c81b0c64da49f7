import type { Interval, MetricVerdict, PairVerdict, StrategyResult, Verdict } from '../../reports/contract.js';
import { CONFIDENCE, mean, metricOf, tInterval } from './confidence.js';
import { headlineMetric, type HeadlineMetric } from '../spec/headline.js';
import type { Scenario } from '../spec/schema.js';

/**
 * Verdicts from paired seeds. For a seed every strategy sees identical traffic, so the
 * per-seed difference d_i = x_a,i - x_b,i of two strategies removes what the seed did to
 * both, and its spread is far smaller than either strategy's own. Per headline metric and
 * per pair (a, b):
 *   d̄ = Σd_i / n,  s_d = sd(d),  interval = d̄ ± t_{1-α'/2, n-1} · s_d / √n
 * with the Bonferroni correction over the m = k(k-1)/2 pairs of the metric's k strategies:
 * α' = (1 - 0.95) / m, so all m intervals hold together with 95% confidence. A pair is a
 * significant difference when its interval excludes 0 (never with fewer than 2 seeds).
 * With identical differences on every seed (s_d = 0: metrics that move in whole steps, such
 * as goodput over few seeds) the t interval has no width and says nothing; the pair is then
 * judged by an exact sign test instead: significant only when all n differences share a sign
 * and 2 · 0.5^n <= α' (n >= 12 seeds at 36 pairs).
 * Seeds where either value is missing (failoverS null) are left out of that pair.
 */

export const CORRECTION = 'bonferroni' as const;
export type { MetricVerdict, PairVerdict, Verdict };

/** The advantage of a over b on paired values (seed i: xs[i] vs ys[i]), at `level`. */
export function pairedAdvantage(xs: readonly (number | undefined)[], ys: readonly (number | undefined)[], better: 'lower' | 'higher', level: number): Interval {
  const d: number[] = [];
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const x = xs[i];
    const y = ys[i];
    if (x !== undefined && y !== undefined) d.push(better === 'lower' ? y - x : x - y);
  }
  if (d.length === 0) return { mean: 0, lo: 0, hi: 0, n: 0 };
  return tInterval(d, level);
}

/** A zero-width paired interval (every seed gave the same difference): the exact two-sided sign test at `level`. */
function signTest(adv: Interval, level: number): boolean {
  return adv.mean !== 0 && 2 * 0.5 ** adv.n <= 1 - level;
}

/** Whether a paired advantage at `level` excludes no difference (the rule in the header; also seeds/paired.ts). */
export function isSignificant(adv: Interval, level: number): boolean {
  return adv.n >= 2 && (adv.lo === adv.hi ? signTest(adv, level) : adv.lo > 0 || adv.hi < 0);
}

/** Per-pair level for a family of m comparisons at family-wise `level` (Bonferroni). */
export function bonferroniLevel(m: number, level = CONFIDENCE): number {
  return m <= 1 ? level : 1 - (1 - level) / m;
}

/** One metric over strategies' per-seed runs (runs[s][i]: strategy s on seed i). */
export function metricVerdict(metric: string, names: readonly string[], runs: readonly (readonly StrategyResult[])[], level = CONFIDENCE): MetricVerdict {
  const spec: HeadlineMetric = headlineMetric(metric) ?? { label: metric, better: 'lower', diff: 'relative', unit: '' };
  const values = runs.map((rs) => rs.map((r) => metricOf(r, metric)));
  const ranking = names
    .map((strategy, s) => ({ strategy, xs: values[s]!.filter((x): x is number => x !== undefined) }))
    .filter((r) => r.xs.length > 0)
    .map((r) => ({ strategy: r.strategy, mean: mean(r.xs) }));
  const sign = spec.better === 'lower' ? 1 : -1;
  ranking.sort((p, q) => sign * (p.mean - q.mean));
  const k = ranking.length;
  const pairLevel = bonferroniLevel((k * (k - 1)) / 2, level);
  const pairs: PairVerdict[] = [];
  for (let i = 0; i < k; i++)
    for (let j = i + 1; j < k; j++) {
      const a = ranking[i]!.strategy;
      const b = ranking[j]!.strategy;
      const xa = values[names.indexOf(a)]!;
      const xb = values[names.indexOf(b)]!;
      const adv = pairedAdvantage(xa, xb, spec.better, pairLevel);
      const both = xb.filter((y, n) => y !== undefined && xa[n] !== undefined) as number[];
      const significant = isSignificant(adv, pairLevel);
      // Ranked by the mean over each one's own seeds; the paired mean decides who is "a".
      pairs.push(adv.mean >= 0 ? { a, b, advantage: adv, baseMean: mean(both), significant } : {
        a: b,
        b: a,
        advantage: { mean: -adv.mean, lo: -adv.hi, hi: -adv.lo, n: adv.n },
        baseMean: mean(xa.filter((x, n) => x !== undefined && xb[n] !== undefined) as number[]),
        significant,
      });
    }
  const beaten = new Set(pairs.filter((p) => p.significant).map((p) => p.b));
  const leaders = ranking.map((r) => r.strategy).filter((s) => !beaten.has(s));
  const top = ranking[0]?.strategy;
  const winner = top !== undefined && k >= 2 && pairs.filter((p) => p.a === top && p.significant).length === k - 1 ? top : null;
  return { metric, label: spec.label, better: spec.better, diff: spec.diff, unit: spec.unit, ranking, pairs, winner, leaders };
}

/** Verdicts on every headline metric; perSeed[i] = all strategies' results for seeds[i], in the same order. */
export function buildVerdict(
  o: { question: string; metrics: readonly string[]; seeds: readonly number[]; expectedWinner?: { metric: string; strategy: string } },
  perSeed: readonly (readonly StrategyResult[])[],
  level = CONFIDENCE,
): Verdict {
  const names = (perSeed[0] ?? []).map((r) => r.strategy);
  const runs = names.map((n) => perSeed.map((rs) => rs.find((r) => r.strategy === n)!));
  return {
    question: o.question,
    seeds: [...o.seeds],
    level,
    correction: CORRECTION,
    metrics: o.metrics.map((m) => metricVerdict(m, names, runs, level)),
    ...(o.expectedWinner ? { expectedWinner: o.expectedWinner } : {}),
  };
}

/** The verdict on a scenario's headline metrics (its expected winner only when it ran). */
export function scenarioVerdict(s: Pick<Scenario, 'question' | 'headline'>, seeds: readonly number[], perSeed: readonly (readonly StrategyResult[])[]): Verdict {
  const h = s.headline;
  const ran = (perSeed[0] ?? []).some((r) => r.strategy === h.expectedWinner);
  return buildVerdict(
    { question: s.question, metrics: h.metrics, seeds, ...(ran ? { expectedWinner: { metric: h.metrics[0]!, strategy: h.expectedWinner } } : {}) },
    perSeed,
  );
}

/**
 * Does the expected winner win? It must have the best mean on the metric (a tie at the top
 * counts) and be significantly better than at least one other strategy.
 */
export function checkExpectedWinner(v: MetricVerdict, strategy: string): { ok: boolean; reason: string } {
  const top = v.ranking[0];
  const mine = v.ranking.find((r) => r.strategy === strategy);
  if (!top || !mine) return { ok: false, reason: `${strategy} has no ${v.label} value` };
  const tol = 1e-9 * Math.max(1, Math.abs(top.mean));
  if (Math.abs(mine.mean - top.mean) > tol) return { ok: false, reason: `${top.strategy} ranks first on ${v.label}, not ${strategy}` };
  const beats = v.pairs.filter((p) => p.a === strategy && p.significant).map((p) => p.b);
  if (beats.length === 0) return { ok: false, reason: `${strategy} ranks first on ${v.label} but beats no strategy significantly` };
  return { ok: true, reason: `${strategy} ranks first on ${v.label} and significantly beats ${beats.join(', ')}` };
}
