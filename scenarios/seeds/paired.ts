import type { Interval, ResultsFile } from '../../reports/contract.js';
import { CONFIDENCE, metricOf } from '../stats/confidence.js';
import { isSignificant, pairedAdvantage } from '../stats/verdict.js';
import { runSeeds, type RunSeedsOptions } from './multi-seed.js';

/**
 * Paired comparison of one strategy against baselines over seeds. Every strategy of a
 * seed sees the identical workload and provider draws, so the per-seed difference
 *   d_s = metric(target, seed s) − metric(baseline, seed s)
 * removes the seed-to-seed variation both share; the verdict is read from the Student-t
 * 95% interval of the d_s with the same rule as the scenario verdicts (verdict.ts
 * pairedAdvantage, isSignificant): "lower", "higher" or "no significant difference".
 * Each per-seed run is exactly what `--seeds` runs for that seed (multi-seed.ts).
 */

export type Verdict = 'lower' | 'higher' | 'no significant difference';

export interface PairedRow {
  metric: string;
  baseline: string;
  /** Interval of target − baseline over the seeds. */
  diff: Interval;
  /** diff.mean / mean(baseline). */
  relative: number;
  verdict: Verdict;
}

export interface PairedReport {
  scenario: string;
  target: string;
  seeds: number[];
  /** Each seed's results (strategies: target, then the baselines). */
  perSeed: ResultsFile[];
  rows: PairedRow[];
}

export function verdictOf(diff: Interval): Verdict {
  if (!isSignificant(diff, CONFIDENCE)) return 'no significant difference';
  return diff.mean < 0 ? 'lower' : 'higher';
}

/** Rows of paired differences from per-seed results already run. */
export function pairedRows(perSeed: readonly ResultsFile[], target: string, baselines: readonly string[], metrics: readonly string[]): PairedRow[] {
  const value = (r: ResultsFile, strategy: string, metric: string): number => {
    const s = r.strategies.find((x) => x.strategy === strategy);
    const v = s ? metricOf(s, metric) : undefined;
    if (v === undefined) throw new Error(`paired: seed ${r.seed}: no ${metric} for strategy "${strategy}"`);
    return v;
  };
  const rows: PairedRow[] = [];
  for (const metric of metrics)
    for (const baseline of baselines) {
      const targetValues = perSeed.map((r) => value(r, target, metric));
      const baseValues = perSeed.map((r) => value(r, baseline, metric));
      const base = baseValues.reduce((s, v) => s + v, 0) / baseValues.length;
      // target − baseline: the advantage of the target where higher is better.
      const diff = pairedAdvantage(targetValues, baseValues, 'higher', CONFIDENCE);
      rows.push({ metric, baseline, diff, relative: base !== 0 ? diff.mean / base : NaN, verdict: verdictOf(diff) });
    }
  return rows;
}

/** Run target and baselines on each seed (one --seeds run per seed) and compare them pairwise. */
export async function pairedCompare(
  scenario: string,
  target: string,
  baselines: readonly string[],
  seeds: readonly number[],
  metrics: readonly string[],
  opts: RunSeedsOptions = {},
): Promise<PairedReport> {
  const perSeed: ResultsFile[] = [];
  for (const seed of seeds) perSeed.push(await runSeeds(scenario, [target, ...baselines], [seed], opts));
  return { scenario, target, seeds: [...seeds], perSeed, rows: pairedRows(perSeed, target, baselines, metrics) };
}

/** The rows as a plain-text table. */
export function formatPaired(p: PairedReport): string {
  const num = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3));
  const lines = p.rows.map(
    (r) =>
      `${r.metric.padEnd(18)} ${p.target} − ${r.baseline.padEnd(18)} ${num(r.diff.mean).padStart(9)} [${num(r.diff.lo)}, ${num(r.diff.hi)}]` +
      `  ${Number.isFinite(r.relative) ? `${(100 * r.relative).toFixed(1)}%`.padStart(7) : '      -'}  ${r.verdict}`,
  );
  return [
    `${p.scenario}: ${p.target} against ${[...new Set(p.rows.map((r) => r.baseline))].join(', ')}, paired over seeds ${p.seeds.join(', ')} (95% t interval of the per-seed differences)`,
    ...lines,
  ].join('\n');
}
