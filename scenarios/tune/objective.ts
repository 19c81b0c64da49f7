import type { StrategyResult } from '../../reports/contract.js';

/**
 * The tuning objective: one metric to minimise under constraints (the scenario's SLOs
 * unless overridden on the command line):
 *   cost   (default): spend on every upstream attempt per 1k successful requests
 *                     (attemptCostPer1kOk: retries and hedges count, so a config cannot look
 *                     cheap by doubling its calls)    s.t. p99 <= SLO, error rate <= SLO
 *   p99:   p99 latency                                 s.t. error rate <= SLO, cost <= budget
 *   errors: error rate                                 s.t. p99 <= SLO, cost <= budget
 *   score: cost/costRef + p99/p99Ref + errorRate/errRef (references: the SLOs), no constraints
 * Every objective also honours, when given: attempts per request <= --max-attempts-per-request
 * and ok % >= --min-ok-pct (100 x (1 - error rate)).
 * Violation = Σ over constraints of the relative excess max(0, metric / limit - 1)
 * (for the ok-% floor: max(0, floor / ok% - 1)).
 * The penalty is lexicographic: every feasible config ranks before every infeasible one;
 * feasible ones by value, infeasible ones by violation (the "closest" first), then value.
 */

export type ObjectiveName = 'cost' | 'p99' | 'errors' | 'score';
export const OBJECTIVES: readonly ObjectiveName[] = ['cost', 'p99', 'errors', 'score'];

export interface Limits {
  p99Ms?: number | undefined;
  errorRate?: number | undefined;
  costPer1kOk?: number | undefined;
  /** Minimum share of acceptable answers: a constraint of every objective but score. */
  minQuality?: number | undefined;
  /** Upstream attempts per request (retries, failovers, hedges) at most this. */
  attemptsPerRequest?: number | undefined;
  /** Successful requests, percent, at least this. */
  minOkPct?: number | undefined;
}

/** The metrics an objective reads (means across seeds). */
export interface TuneMetrics {
  /** Spend on every upstream attempt per 1k ok (cost per 1k ok where a run does not report it). */
  costPer1kOk: number;
  p99Ms: number;
  errorRate: number;
  attemptsPerRequest: number;
  /** Share of acceptable answers (absent when the scenario has no quality figures). */
  qualityOk?: number | undefined;
}

export interface Verdict {
  value: number;
  violation: number;
  feasible: boolean;
}

export function metricsOf(r: StrategyResult): TuneMetrics {
  const s = r.summary;
  return {
    costPer1kOk: s.attemptCostPer1kOk ?? s.costPer1kOk,
    p99Ms: s.latencyMs.p99,
    errorRate: s.errorRate,
    attemptsPerRequest: s.attemptsPerRequest,
    qualityOk: s.qualityOk,
  };
}

/** Means of the metrics over per-seed results (NaN for none; quality only when every run has it). */
export function meanMetrics(runs: readonly StrategyResult[]): TuneMetrics {
  const ms = runs.map(metricsOf);
  const avg = (f: (m: TuneMetrics) => number) => (ms.length ? ms.reduce((t, m) => t + f(m), 0) / ms.length : NaN);
  const qualityOk = ms.length > 0 && ms.every((m) => m.qualityOk !== undefined) ? avg((m) => m.qualityOk!) : undefined;
  return { costPer1kOk: avg((m) => m.costPer1kOk), p99Ms: avg((m) => m.p99Ms), errorRate: avg((m) => m.errorRate), attemptsPerRequest: avg((m) => m.attemptsPerRequest), qualityOk };
}

/** Which limits constrain an objective (its own metric is minimised, not constrained). */
export function constraintsFor(objective: ObjectiveName, limits: Limits): Limits {
  const always = { attemptsPerRequest: limits.attemptsPerRequest, minOkPct: limits.minOkPct };
  switch (objective) {
    case 'cost':
      return { p99Ms: limits.p99Ms, errorRate: limits.errorRate, minQuality: limits.minQuality, ...always };
    case 'p99':
      return { errorRate: limits.errorRate, costPer1kOk: limits.costPer1kOk, minQuality: limits.minQuality, ...always };
    case 'errors':
      return { p99Ms: limits.p99Ms, costPer1kOk: limits.costPer1kOk, minQuality: limits.minQuality, ...always };
    case 'score':
      return always;
  }
}

/** Relative excess over a limit; a zero limit compares against a tiny floor so the ratio stays finite. */
const excess = (v: number, limit: number | undefined, floor: number): number =>
  limit === undefined ? 0 : Math.max(0, v / Math.max(limit, floor) - 1);

/** Relative shortfall under a minimum quality, 1 − q / min (no quality figure counts as 0). */
const shortfall = (q: number | undefined, min: number | undefined): number =>
  min === undefined || min <= 0 ? 0 : Math.max(0, 1 - (q !== undefined && Number.isFinite(q) ? q : 0) / min);

export function judge(objective: ObjectiveName, limits: Limits, m: TuneMetrics): Verdict {
  const c = constraintsFor(objective, limits);
  const okPct = 100 * (1 - m.errorRate);
  const violation =
    excess(m.p99Ms, c.p99Ms, 1) +
    excess(m.errorRate, c.errorRate, 1e-4) +
    excess(m.costPer1kOk, c.costPer1kOk, 1e-9) +
    shortfall(m.qualityOk, c.minQuality) +
    excess(m.attemptsPerRequest, c.attemptsPerRequest, 1) +
    (c.minOkPct === undefined ? 0 : Math.max(0, c.minOkPct / Math.max(okPct, 1e-9) - 1));
  let value: number;
  switch (objective) {
    case 'cost':
      value = m.costPer1kOk;
      break;
    case 'p99':
      value = m.p99Ms;
      break;
    case 'errors':
      value = m.errorRate;
      break;
    case 'score':
      value =
        m.costPer1kOk / Math.max(limits.costPer1kOk ?? 1, 1e-9) +
        m.p99Ms / Math.max(limits.p99Ms ?? 5_000, 1) +
        m.errorRate / Math.max(limits.errorRate ?? 0.01, 1e-4);
      break;
  }
  // NaN (e.g. no successful request: cost per 1k ok undefined) ranks last.
  if (!Number.isFinite(value)) value = Number.MAX_VALUE;
  return { value, violation, feasible: violation === 0 };
}

/** Sort order: feasible by value; then infeasible by violation, then value. */
export function compareVerdicts(a: Verdict, b: Verdict): number {
  if (a.feasible !== b.feasible) return a.feasible ? -1 : 1;
  if (!a.feasible && a.violation !== b.violation) return a.violation - b.violation;
  return a.value - b.value;
}

/** One line describing the objective, for the terminal and the report. */
export function describeObjective(objective: ObjectiveName, limits: Limits): string {
  const c = constraintsFor(objective, limits);
  const parts = [
    c.p99Ms !== undefined ? `p99 <= ${c.p99Ms} ms` : '',
    c.errorRate !== undefined ? `error rate <= ${(c.errorRate * 100).toPrecision(3)}%` : '',
    c.costPer1kOk !== undefined ? `cost <= $${c.costPer1kOk}/1k ok` : '',
    c.minQuality !== undefined ? `quality >= ${(c.minQuality * 100).toPrecision(3)}%` : '',
    c.attemptsPerRequest !== undefined ? `attempts/request <= ${c.attemptsPerRequest}` : '',
    c.minOkPct !== undefined ? `ok >= ${c.minOkPct}%` : '',
  ].filter(Boolean);
  const what = {
    cost: 'minimise spend on every upstream attempt per 1k ok requests',
    p99: 'minimise p99 latency',
    errors: 'minimise error rate',
    score: 'minimise cost/costRef + p99/p99Ref + errors/errRef',
  }[objective];
  return parts.length ? `${what} subject to ${parts.join(', ')}` : what;
}
