import type { Interval, StrategyResult } from '../../reports/contract.js';
import { CONFIDENCE, metricOf, tInterval } from './confidence.js';
import { headlineMetric } from '../spec/headline.js';
import { isSignificant, pairedAdvantage } from './verdict.js';

/**
 * Standings of our strategies against the peers' algorithms on one scenario, from paired
 * seeds (perSeed[i]: every strategy's result on seed i, identical traffic).
 *
 * Dominance, on the three user-facing metrics (p99, error rate, cost per 1k ok; all lower
 * is better), plus the share of acceptable answers (qualityOk, higher is better) in scenarios
 * whose headline metrics include it (dominanceMetrics): peer P significantly dominates ours O
 * when P is significantly better on at least one of them and significantly worse on none.
 * Where answer quality is measured, a peer that is faster or cheaper because it gives worse
 * answers does not dominate. Each comparison is a paired 95%
 * Student-t interval of the per-seed differences (verdict.ts pairedAdvantage, isSignificant),
 * with no multiple-comparison correction: that is the strict side for our strategies (a
 * correction would call fewer peer wins significant).
 *
 * The headline check: on the scenario's first headline metric, adaptive's paired advantage
 * over round-robin (must be significant) and over the best peer (by mean on that metric).
 */

export const OURS = ['adaptive', 'latency'] as const;
export const PEERS = ['baseline-litellm-latency', 'baseline-envoy-least-request', 'baseline-openrouter-price'] as const;
export const DOMINANCE_METRICS = ['latencyMs.p99', 'errorRate', 'costPer1kOk'] as const;
/** Joins the dominance metrics in scenarios that measure it (a headline metric). */
export const QUALITY_METRIC = 'qualityOk';

/** The metrics dominance is judged on for a scenario with these headline metrics (the one rule, here). */
export function dominanceMetrics(headlineMetrics: readonly string[]): string[] {
  return headlineMetrics.includes(QUALITY_METRIC) ? [...DOMINANCE_METRICS, QUALITY_METRIC] : [...DOMINANCE_METRICS];
}
/** The strategies a standings run needs. */
export const STANDINGS_STRATEGIES = [...OURS, 'round-robin', ...PEERS];

export interface Dominance {
  ours: string;
  peer: string;
  /** Per dominance metric, the peer's advantage over ours (positive = the peer is better), 95% paired. */
  advantage: Record<string, Interval>;
  dominated: boolean;
}

export interface Standings {
  scenario: string;
  seeds: number;
  /** The seeds were scenario.seed + seedOffset .. + seeds - 1 (0: the scenario's own; absent in old files = 0). */
  seedOffset?: number;
  headline: string;
  better: 'lower' | 'higher';
  /** The metrics dominance was judged on (absent in old files: DOMINANCE_METRICS). */
  dominanceMetrics?: string[];
  /** Each strategy's headline metric: mean and 95% interval over the seeds. */
  values: Record<string, Interval>;
  /** Per strategy, the others (of those run) that significantly dominate it (empty: not dominated). */
  dominatedBy: Record<string, string[]>;
  dominance: Dominance[];
  /** adaptive's advantage over round-robin on the headline metric (positive = adaptive better). */
  vsRoundRobin: Interval & { significant: boolean };
  /** adaptive's advantage over the best peer (by mean) on the headline metric. */
  bestPeer: string;
  vsBestPeer: Interval & { significant: boolean };
}

const column = (perSeed: readonly (readonly StrategyResult[])[], strategy: string, metric: string): (number | undefined)[] =>
  perSeed.map((rs) => {
    const r = rs.find((x) => x.strategy === strategy);
    if (!r) throw new Error(`standings: no result for strategy "${strategy}"`);
    return metricOf(r, metric);
  });

/** The peer's advantage over ours on each dominance metric (default: the three), and whether it dominates. */
export function dominance(
  perSeed: readonly (readonly StrategyResult[])[],
  ours: string,
  peer: string,
  level = CONFIDENCE,
  metrics: readonly string[] = DOMINANCE_METRICS,
): Dominance {
  const advantage: Record<string, Interval> = {};
  let better = 0;
  let worse = 0;
  for (const m of metrics) {
    const adv = pairedAdvantage(column(perSeed, peer, m), column(perSeed, ours, m), headlineMetric(m)?.better ?? 'lower', level);
    advantage[m] = adv;
    if (isSignificant(adv, level)) {
      if (adv.mean > 0) better += 1;
      else worse += 1;
    }
  }
  return { ours, peer, advantage, dominated: better > 0 && worse === 0 };
}

/** a's paired advantage over b on `metric` (positive = a better), and whether it is significant. */
export function headlineAdvantage(
  perSeed: readonly (readonly StrategyResult[])[],
  metric: string,
  a: string,
  b: string,
  level = CONFIDENCE,
): Interval & { significant: boolean } {
  const better = headlineMetric(metric)?.better ?? 'lower';
  const i = pairedAdvantage(column(perSeed, a, metric), column(perSeed, b, metric), better, level);
  return { ...i, significant: isSignificant(i, level) };
}

/**
 * What the cost axis of dominance reads: 'costPer1kOk' (the default: what the answers were billed)
 * or 'attemptCostPer1kOk' (sim only: every upstream attempt billed in full, hedge and timeout losers
 * included; an upper bound on what a provider charges).
 */
export type CostAxis = 'costPer1kOk' | 'attemptCostPer1kOk';

/** `headlines`: the scenario's headline metrics; the first is the table's, all decide the dominance metrics. */
export function standings(
  scenario: string,
  headlines: readonly string[],
  perSeed: readonly (readonly StrategyResult[])[],
  level = CONFIDENCE,
  seedOffset = 0,
  cost: CostAxis = 'costPer1kOk',
): Standings {
  const headline = headlines[0]!;
  const metrics = dominanceMetrics(headlines).map((m) => (m === 'costPer1kOk' ? cost : m));
  const spec = headlineMetric(headline);
  const better = spec?.better ?? 'lower';
  const names = (perSeed[0] ?? []).map((r) => r.strategy);
  const values: Record<string, Interval> = {};
  for (const s of names) {
    const xs = column(perSeed, s, headline).filter((x): x is number => x !== undefined);
    values[s] = xs.length ? tInterval(xs, level) : { mean: NaN, lo: NaN, hi: NaN, n: 0 };
  }
  const adv = (a: string, b: string) => headlineAdvantage(perSeed, headline, a, b, level);
  const sign = better === 'lower' ? 1 : -1;
  const peers = PEERS.filter((p) => names.includes(p) && Number.isFinite(values[p]!.mean));
  const bestPeer = [...peers].sort((p, q) => sign * (values[p]!.mean - values[q]!.mean))[0] ?? PEERS[0];
  const dom: Dominance[] = [];
  for (const o of OURS) for (const p of PEERS) if (names.includes(o) && names.includes(p)) dom.push(dominance(perSeed, o, p, level, metrics));
  const by: Record<string, string[]> = {};
  for (const s of names) by[s] = names.filter((t) => t !== s && dominance(perSeed, s, t, level, metrics).dominated);
  return {
    scenario,
    seeds: perSeed.length,
    ...(seedOffset ? { seedOffset } : {}),
    headline,
    better,
    ...(metrics.length > DOMINANCE_METRICS.length || cost !== 'costPer1kOk' ? { dominanceMetrics: metrics } : {}),
    values,
    dominatedBy: by,
    dominance: dom,
    vsRoundRobin: adv('adaptive', 'round-robin'),
    bestPeer,
    vsBestPeer: adv('adaptive', bestPeer),
  };
}

/** Is `ours` significantly dominated by some peer? The peers that do it. */
export function dominatedBy(s: Standings, ours: string): string[] {
  return s.dominance.filter((d) => d.ours === ours && d.dominated).map((d) => d.peer);
}

/** A metric value as the table shows it: rates in %, USD to 3 decimals, ms and req/s whole or to 1 decimal. */
function show(metric: string, x: number): string {
  if (!Number.isFinite(x)) return '-';
  if (metric === 'errorRate' || metric === 'qualityOk') return `${(100 * x).toFixed(metric === 'errorRate' ? 2 : 1)}%`;
  if (metric === 'costPer1kOk') return x.toFixed(3);
  if (Math.abs(x) >= 100) return x.toFixed(0);
  return x.toFixed(1);
}

/**
 * The README standings table: one row per scenario, one column per strategy, the headline
 * metric's mean [95% interval]; ✓ where no other strategy of the table significantly
 * dominates that one on (p99, error rate, cost per 1k ok, and quality where a headline).
 */
export function standingsTable(all: readonly Standings[]): string {
  const names = STANDINGS_STRATEGIES;
  const lines = [`| scenario (headline) | ${names.map((n) => `\`${n}\``).join(' | ')} |`, `| --- | ${names.map(() => '---').join(' | ')} |`];
  for (const s of all) {
    const cells = names.map((n) => {
      const v = s.values[n];
      if (!v) return '';
      const mark = (s.dominatedBy[n] ?? []).length === 0 ? ' ✓' : '';
      return `${show(s.headline, v.mean)} [${show(s.headline, v.lo)}, ${show(s.headline, v.hi)}]${mark}`;
    });
    lines.push(`| ${s.scenario} (${headlineMetric(s.headline)?.label ?? s.headline}, ${s.better} is better) | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

