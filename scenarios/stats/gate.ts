import type { Interval, ResultsFile, StrategyResult } from '../../reports/contract.js';
import { CONFIDENCE, metricOf, sdOfInterval, tCritical } from './confidence.js';

/**
 * The regression gate for CI: compare a run against a saved baseline results.json and
 * fail when a strategy is significantly worse on a gated metric (all "lower is better").
 *
 * The rule, per strategy present in both files and per metric, with
 *   margin = max(relTol · |baseline mean|, absTol[metric]):
 *  - both sides have ≥ 2 seeds (a ci with n ≥ 2): WORSE when Welch's t-test rejects equal
 *    means at 95% and the current mean exceeds the baseline mean by more than the margin:
 *      d = m_c - m_b,  se = sqrt(s_c²/n_c + s_b²/n_b),  t = d / se,
 *      ν = se⁴ / ((s_c²/n_c)²/(n_c-1) + (s_b²/n_b)²/(n_b-1))      (Welch–Satterthwaite)
 *      worse  ⇔  d > margin  and  t > t_{0.975, ν}
 *    (s is recovered from the stored interval: s = half·√n / t_{0.975,n-1}; se = 0 with
 *    d > margin counts as significant: identical seeds, different code.)
 *  - otherwise (one side is a single seed): WORSE when the current run's interval lies
 *    entirely above the baseline mean plus the margin: lo_c > m_b + margin (for a single
 *    seed, lo_c is the value itself).
 * A strategy missing from the current run is reported, and fails only with `requireAll`.
 */

export interface GateOptions {
  /** Metric paths (as in StrategyResult.ci). Default: p99 latency, cost per 1k ok, error rate. */
  metrics?: string[];
  /** Relative tolerance on the baseline mean (default 0.05 = 5%). */
  relTol?: number;
  /** Absolute tolerance per metric (defaults: 1 ms, 1e-6 USD/1k, 0.001 error rate). */
  absTol?: Record<string, number>;
  /** Fail when a baseline strategy is missing from the current run (default false). */
  requireAll?: boolean;
}

export const DEFAULT_GATE_METRICS = ['latencyMs.p99', 'costPer1kOk', 'errorRate'];
export const DEFAULT_ABS_TOL: Record<string, number> = {
  'latencyMs.p50': 1,
  'latencyMs.p90': 1,
  'latencyMs.p99': 1,
  'latencyMs.p999': 1,
  costPer1kOk: 1e-6,
  errorRate: 0.001,
  'regret.costUsd': 1e-6,
  'regret.p99Ms': 1,
  'regret.errors': 1,
};

export interface GateCheck {
  strategy: string;
  metric: string;
  current: Interval;
  baseline: Interval;
  /** 'welch' when both sides had ≥ 2 seeds, else 'interval'. */
  test: 'welch' | 'interval';
  worse: boolean;
  /** Welch's t and ν (welch only). */
  t?: number;
  df?: number;
}

export interface GateResult {
  ok: boolean;
  lines: string[];
  checks: GateCheck[];
}

/** The metric as an interval: the stored ci, else the single value (n = 1). */
function intervalOf(s: StrategyResult, metric: string): Interval | undefined {
  const ci = s.ci?.[metric] ?? s.ci?.[`summary.${metric}`];
  if (ci) return ci;
  const v = metricOf(s, metric);
  return v === undefined ? undefined : { mean: v, lo: v, hi: v, n: 1 };
}

/** Welch's one-sided "current > baseline" statistic and its degrees of freedom. */
export function welch(c: Interval, b: Interval): { t: number; df: number } {
  const vc = sdOfInterval(c) ** 2 / c.n;
  const vb = sdOfInterval(b) ** 2 / b.n;
  const se2 = vc + vb;
  const d = c.mean - b.mean;
  if (se2 === 0) return { t: d === 0 ? 0 : d > 0 ? Infinity : -Infinity, df: c.n + b.n - 2 };
  const df = (se2 * se2) / ((vc * vc) / (c.n - 1) + (vb * vb) / (b.n - 1));
  return { t: d / Math.sqrt(se2), df };
}

/** One metric of one strategy: is the current run significantly worse than the baseline? */
export function checkMetric(strategy: string, metric: string, c: Interval, b: Interval, margin: number): GateCheck {
  if (c.n >= 2 && b.n >= 2) {
    const { t, df } = welch(c, b);
    const worse = c.mean - b.mean > margin && t > tCritical(df, CONFIDENCE);
    return { strategy, metric, current: c, baseline: b, test: 'welch', worse, t, df };
  }
  return { strategy, metric, current: c, baseline: b, test: 'interval', worse: c.lo > b.mean + margin };
}

const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3));
const fmtCi = (i: Interval): string => (i.n >= 2 ? `${fmt(i.mean)} [${fmt(i.lo)}, ${fmt(i.hi)}] n=${i.n}` : `${fmt(i.mean)} n=1`);

export function gate(current: ResultsFile, baseline: ResultsFile, opts: GateOptions = {}): GateResult {
  const metrics = opts.metrics ?? DEFAULT_GATE_METRICS;
  const relTol = opts.relTol ?? 0.05;
  const absTol = { ...DEFAULT_ABS_TOL, ...(opts.absTol ?? {}) };
  const lines: string[] = [];
  const checks: GateCheck[] = [];
  let ok = true;
  if (current.scenario !== baseline.scenario)
    lines.push(`note: comparing scenario "${current.scenario}" against a baseline of "${baseline.scenario}"`);
  for (const b of baseline.strategies) {
    const c = current.strategies.find((s) => s.strategy === b.strategy);
    if (!c) {
      lines.push(`${opts.requireAll ? 'FAIL' : 'skip'} ${b.strategy}: in the baseline, not in this run`);
      if (opts.requireAll) ok = false;
      continue;
    }
    for (const metric of metrics) {
      const ci = intervalOf(c, metric);
      const bi = intervalOf(b, metric);
      if (!ci || !bi) {
        lines.push(`skip ${b.strategy} ${metric}: not in ${!ci ? 'this run' : 'the baseline'}`);
        continue;
      }
      const margin = Math.max(relTol * Math.abs(bi.mean), absTol[metric] ?? 0);
      const chk = checkMetric(b.strategy, metric, ci, bi, margin);
      checks.push(chk);
      const how =
        chk.test === 'welch'
          ? `Welch t=${Number.isFinite(chk.t!) ? chk.t!.toFixed(2) : String(chk.t)} df=${chk.df!.toFixed(1)}`
          : `interval lo vs baseline mean + ${fmt(margin)}`;
      lines.push(`${chk.worse ? 'FAIL' : 'ok  '} ${b.strategy} ${metric}: ${fmtCi(ci)} vs baseline ${fmtCi(bi)} (${how})`);
      if (chk.worse) ok = false;
    }
  }
  for (const c of current.strategies)
    if (!baseline.strategies.some((b) => b.strategy === c.strategy)) lines.push(`new  ${c.strategy}: not in the baseline (not gated)`);
  lines.push(ok ? 'gate: passed (no strategy significantly worse than the baseline)' : 'gate: FAILED (a strategy is significantly worse than the baseline)');
  return { ok, lines, checks };
}
