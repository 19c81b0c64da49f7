import type { StrategyResult } from '../../reports/contract.js';

/**
 * The tuning objective: one metric to minimise under constraints (the scenario's SLOs
 * unless overridden on the command line):
 *   cost   (default): cost per 1k successful requests  s.t. p99 <= SLO, error rate <= SLO
 *   p99:   p99 latency                                 s.t. error rate <= SLO, cost <= budget
 *   errors: error rate                                 s.t. p99 <= SLO, cost <= budget
 *   score: cost/costRef + p99/p99Ref + errorRate/errRef (references: the SLOs), no constraints
 * Violation = Σ over constraints of the relative excess max(0, metric / limit - 1).
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
}

/** The three metrics an objective reads (means across seeds). */
export interface TuneMetrics {
  costPer1kOk: number;
  p99Ms: number;
  errorRate: number;
  /** Share of acceptable answers (absent when the scenario has no quality figures). */
  qualityOk?: number | undefined;
}

export interface Verdict {
  value: number;
  violation: number;
  feasible: boolean;
}

export function metricsOf(r: StrategyResult): TuneMetrics {
  return { costPer1kOk: r.summary.costPer1kOk, p99Ms: r.summary.latencyMs.p99, errorRate: r.summary.errorRate, qualityOk: r.summary.qualityOk };
}

/** Which limits constrain an objective (its own metric is minimised, not constrained). */
export function constraintsFor(objective: ObjectiveName, limits: Limits): Limits {
  switch (objective) {
    case 'cost':
      return { p99Ms: limits.p99Ms, errorRate: limits.errorRate, minQuality: limits.minQuality };
    case 'p99':
      return { errorRate: limits.errorRate, costPer1kOk: limits.costPer1kOk, minQuality: limits.minQuality };
    case 'errors':
      return { p99Ms: limits.p99Ms, costPer1kOk: limits.costPer1kOk, minQuality: limits.minQuality };
    case 'score':
      return {};
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
  const violation =
    excess(m.p99Ms, c.p99Ms, 1) + excess(m.errorRate, c.errorRate, 1e-4) + excess(m.costPer1kOk, c.costPer1kOk, 1e-9) + shortfall(m.qualityOk, c.minQuality);
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
  ].filter(Boolean);
  const what = {
    cost: 'minimise cost per 1k ok requests',
    p99: 'minimise p99 latency',
    errors: 'minimise error rate',
    score: 'minimise cost/costRef + p99/p99Ref + errors/errRef',
  }[objective];
  return parts.length ? `${what} subject to ${parts.join(', ')}` : what;
}
