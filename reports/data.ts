import type { Interval, ResultsFile, StrategyResult, TimelinePoint } from './contract.js';
import { paretoFront } from './pareto.js';

/**
 * Flatten results.json into the long ("tidy") row arrays Vega-Lite wants: one row per
 * (strategy, second[, provider|quantile]). Pure functions; the specs only map fields to channels.
 */

/** Charts stay fast and readable above this many time points; longer runs are bucketed. */
export const MAX_TIME_POINTS = 600;

/**
 * Keys of StrategyResult.ci: the path of the metric inside `summary` (or `regret.` + field).
 * The runner writes e.g. ci["latencyMs.p99"] = { mean, lo, hi, n } when it ran several seeds.
 */
export const CI_KEYS = {
  p50: 'latencyMs.p50',
  p99: 'latencyMs.p99',
  p999: 'latencyMs.p999',
  costPer1kOk: 'costPer1kOk',
  errorRate: 'errorRate',
  throughputRps: 'throughputRps',
  failoverS: 'failoverS',
  attemptsPerRequest: 'attemptsPerRequest',
  regretCostUsd: 'regret.costUsd',
  regretP99Ms: 'regret.p99Ms',
  regretErrors: 'regret.errors',
  ttftP50: 'ttftMs.p50',
  cachedTokenShare: 'cachedTokenShare',
  cacheSavingsUsd: 'cacheSavingsUsd',
} as const;

/** The CI for a metric, accepting "latencyMs.p99" or "summary.latencyMs.p99". */
export function ciOf(s: StrategyResult, key: string): Interval | undefined {
  return s.ci?.[key] ?? s.ci?.[`summary.${key}`];
}

/** Every provider named anywhere in the results, for a stable colour domain. */
export function providersOf(r: ResultsFile): string[] {
  const names = new Set<string>();
  for (const s of r.strategies) {
    for (const p of Object.keys(s.summary.providerShare)) names.add(p);
    for (const pt of s.timeline) for (const p of Object.keys(pt.share)) names.add(p);
  }
  return [...names].sort();
}

const mean = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/**
 * Bucket a long timeline into at most `max` points of k = ceil(n / max) seconds each:
 * per-second rates (rps, errors, cost, share) and p50 are averaged; p99 takes the bucket's
 * worst second so short latency spikes stay visible.
 */
export function downsample(tl: readonly TimelinePoint[], max = MAX_TIME_POINTS): TimelinePoint[] {
  if (tl.length <= max) return [...tl];
  const k = Math.ceil(tl.length / max);
  const out: TimelinePoint[] = [];
  for (let i = 0; i < tl.length; i += k) {
    const b = tl.slice(i, i + k);
    const share: Record<string, number> = {};
    for (const p of new Set(b.flatMap((x) => Object.keys(x.share)))) share[p] = mean(b.map((x) => x.share[p] ?? 0));
    out.push({
      t: b[0]!.t,
      rps: mean(b.map((x) => x.rps)),
      p50: mean(b.map((x) => x.p50)),
      p99: Math.max(...b.map((x) => x.p99)),
      errors: mean(b.map((x) => x.errors)),
      costUsd: mean(b.map((x) => x.costUsd)),
      share,
    });
  }
  return out;
}

export interface TimeRow {
  strategy: string;
  t: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** errors / rps for the second (0 when nothing finished): `rps` counts every finished request, ok or failed. */
  errorRate: number;
  costUsd: number;
}

export function timeRows(r: ResultsFile): TimeRow[] {
  return r.strategies.flatMap((s) =>
    downsample(s.timeline).map((p) => ({
      strategy: s.strategy,
      t: p.t,
      rps: p.rps,
      p50: p.p50,
      p99: p.p99,
      errors: p.errors,
      errorRate: p.rps > 0 ? Math.min(1, p.errors / p.rps) : 0,
      costUsd: p.costUsd,
    })),
  );
}

/** Long latency rows, one per (strategy, second, quantile), for a colour=strategy, dash=quantile chart. */
export interface LatencyRow {
  strategy: string;
  t: number;
  quantile: 'p50' | 'p99';
  ms: number;
}

export function latencyRows(r: ResultsFile): LatencyRow[] {
  return timeRows(r).flatMap((x) => [
    { strategy: x.strategy, t: x.t, quantile: 'p50' as const, ms: x.p50 },
    { strategy: x.strategy, t: x.t, quantile: 'p99' as const, ms: x.p99 },
  ]);
}

export interface ShareRow {
  strategy: string;
  t: number;
  provider: string;
  share: number;
}

/** Share rows with explicit zeros, so stacked areas do not interpolate across a provider's absence. */
export function shareRows(r: ResultsFile, providers = providersOf(r)): ShareRow[] {
  return r.strategies.flatMap((s) =>
    downsample(s.timeline).flatMap((p) => providers.map((provider) => ({ strategy: s.strategy, t: p.t, provider, share: p.share[provider] ?? 0 }))),
  );
}

export interface QuantileRow {
  strategy: string;
  quantile: 'p50' | 'p99' | 'p99.9';
  ms: number;
  lo?: number;
  hi?: number;
}

export function quantileRows(r: ResultsFile): QuantileRow[] {
  const qs = [
    ['p50', 'p50', CI_KEYS.p50],
    ['p99', 'p99', CI_KEYS.p99],
    ['p99.9', 'p999', CI_KEYS.p999],
  ] as const;
  return r.strategies.flatMap((s) =>
    qs.map(([label, field, key]) => withCi({ strategy: s.strategy, quantile: label, ms: s.summary.latencyMs[field] }, ciOf(s, key))),
  );
}

function withCi<T extends object>(row: T, ci: Interval | undefined): T & { lo?: number; hi?: number } {
  return ci ? { ...row, lo: ci.lo, hi: ci.hi } : row;
}

export interface ParetoRow {
  strategy: string;
  p99: number;
  cost: number;
  pareto: boolean;
  /** Position along the front (0..), only for Pareto-optimal points: orders the connecting line. */
  order?: number;
  /** The point's text: every strategy at this exact point, on the first of them only (coinciding points share one label). */
  label: string;
  /** Label row (0 above the point, 1.. below it): labels of nearby points go to different rows. */
  slot: number;
  p99Lo?: number;
  p99Hi?: number;
  costLo?: number;
  costHi?: number;
}

export function paretoRows(r: ResultsFile): ParetoRow[] {
  const pts = r.strategies.map((s) => ({ x: s.summary.latencyMs.p99, y: s.summary.costPer1kOk }));
  const front = paretoFront(pts);
  const labels = coincidentLabels(r.strategies.map((s) => s.strategy), pts, front);
  const slots = labelSlots(pts, labels);
  return r.strategies.map((s, i) => {
    const row: ParetoRow = { strategy: s.strategy, p99: pts[i]!.x, cost: pts[i]!.y, pareto: front.includes(i), label: labels[i]!, slot: slots[i]! };
    if (row.pareto) row.order = front.indexOf(i);
    const p = ciOf(s, CI_KEYS.p99);
    const c = ciOf(s, CI_KEYS.costPer1kOk);
    if (p) Object.assign(row, { p99Lo: p.lo, p99Hi: p.hi });
    if (c) Object.assign(row, { costLo: c.lo, costHi: c.hi });
    return row;
  });
}

/**
 * Labels for a scatter where strategies may land on the same point (cost and classifier often
 * do): the first strategy at a point carries "a, b ★" (★ = on the Pareto front), the others ''.
 */
export function coincidentLabels(names: readonly string[], pts: readonly { x: number; y: number }[], front: readonly number[]): string[] {
  const first = new Map<string, number>();
  const text: string[] = names.map(() => '');
  pts.forEach((p, i) => {
    const key = `${p.x}|${p.y}`;
    const j = first.get(key);
    if (j === undefined) {
      first.set(key, i);
      text[i] = names[i]!;
    } else text[j] += `, ${names[i]}`;
  });
  return text.map((t, i) => (t && front.includes(i) ? `${t} ★` : t));
}

/** Labels this many rows deep at most; a scatter draws one text layer per slot. */
export const LABEL_SLOTS = 3;

/**
 * A label row per point so nearby labels do not overprint: a labelled point within 12% of the
 * x range and 8% of the y range of an earlier labelled one takes the next free row.
 */
export function labelSlots(pts: readonly { x: number; y: number }[], labels: readonly string[]): number[] {
  const span = (v: number[]): number => Math.max(...v) - Math.min(...v) || 1;
  const sx = span(pts.map((p) => p.x));
  const sy = span(pts.map((p) => p.y));
  const slots = pts.map(() => 0);
  pts.forEach((p, i) => {
    if (!labels[i]) return;
    const taken = new Set<number>();
    for (let j = 0; j < i; j++)
      if (labels[j] && Math.abs(pts[j]!.x - p.x) < 0.12 * sx && Math.abs(pts[j]!.y - p.y) < 0.08 * sy) taken.add(slots[j]!);
    let k = 0;
    while (taken.has(k) && k < LABEL_SLOTS - 1) k++;
    slots[i] = k;
  });
  return slots;
}

export interface RegretRow {
  strategy: string;
  metric: string;
  value: number;
  lo?: number;
  hi?: number;
}

export const REGRET_METRICS = [
  { field: 'costUsd', label: 'extra cost (USD)', key: CI_KEYS.regretCostUsd },
  { field: 'p99Ms', label: 'extra p99 (ms)', key: CI_KEYS.regretP99Ms },
  { field: 'errors', label: 'extra errors (count)', key: CI_KEYS.regretErrors },
] as const;

/** Empty when no strategy carries regret (http mode): the chart is then left out. */
export function regretRows(r: ResultsFile): RegretRow[] {
  return r.strategies.flatMap((s) =>
    s.regret
      ? REGRET_METRICS.map((m) => withCi({ strategy: s.strategy, metric: m.label, value: s.regret![m.field] }, ciOf(s, m.key)))
      : [],
  );
}
