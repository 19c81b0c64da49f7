/**
 * The metrics a scenario may name as its headline (scenario `headline.metrics`): one table,
 * read by the schema (the valid names), the verdict (direction, how a difference reads)
 * and the reports. A key is the metric's path in StrategyResult.summary, as in `ci`.
 */

export interface HeadlineMetric {
  /** How the verdict names it ("error rate", "p99"). */
  label: string;
  /** Which way is better. */
  better: 'lower' | 'higher';
  /**
   * How a difference reads: 'share' (0..1 rates) in percentage points, 'relative' as a
   * percentage of the beaten strategy's mean (absolute in `unit` when that mean is 0).
   */
  diff: 'share' | 'relative';
  unit: string;
}

export const HEADLINE_METRICS = {
  errorRate: { label: 'error rate', better: 'lower', diff: 'share', unit: 'pp' },
  'latencyMs.p50': { label: 'p50', better: 'lower', diff: 'relative', unit: 'ms' },
  'latencyMs.p99': { label: 'p99', better: 'lower', diff: 'relative', unit: 'ms' },
  failoverS: { label: 'failover s', better: 'lower', diff: 'relative', unit: 's' },
  attemptsPerRequest: { label: 'attempts per request', better: 'lower', diff: 'relative', unit: '' },
  costPer1kOk: { label: 'cost per 1k ok', better: 'lower', diff: 'relative', unit: 'USD' },
  qualityOk: { label: 'quality', better: 'higher', diff: 'share', unit: 'pp' },
  goodputRps: { label: 'goodput', better: 'higher', diff: 'relative', unit: 'req/s' },
} as const satisfies Record<string, HeadlineMetric>;

export type HeadlineKey = keyof typeof HEADLINE_METRICS;
export const HEADLINE_KEYS = Object.keys(HEADLINE_METRICS) as [HeadlineKey, ...HeadlineKey[]];

export function headlineMetric(key: string): HeadlineMetric | undefined {
  return (HEADLINE_METRICS as Record<string, HeadlineMetric>)[key];
}
