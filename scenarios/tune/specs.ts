import type { ResultsFile } from '../../reports/contract.js';
import { paretoFront } from '../../reports/pareto.js';
import { top, type ChartSpec, type Json } from '../../reports/specs-common.js';
import type { Evaluation } from './search.js';
import type { TuneOutcome } from './tune.js';

/**
 * Vega-Lite specs of the tune report (the shared look comes from reports/specs-common):
 *  - every evaluated config, cost per 1k ok vs p99, at the highest rung it reached, with
 *    the Pareto front joined and the default and the tuned config marked;
 *  - default vs tuned, search seeds and held-out seeds, mean and 95% CI per metric.
 */

export interface ConfigPoint {
  id: number;
  p99: number;
  cost: number;
  errorRate: number;
  rung: string;
  role: 'default' | 'tuned' | 'candidate';
  feasible: boolean;
  pareto: boolean;
  order: number;
}

/** Each candidate's evaluation at the highest rung it reached. */
export function latestEvaluations(evals: readonly Evaluation[]): Evaluation[] {
  const m = new Map<number, Evaluation>();
  for (const e of evals) {
    const prev = m.get(e.id);
    if (!prev || e.rung > prev.rung) m.set(e.id, e);
  }
  return [...m.values()].sort((a, b) => a.id - b.id);
}

export function configPoints(o: TuneOutcome): ConfigPoint[] {
  const latest = latestEvaluations(o.search.evaluations).filter((e) => Number.isFinite(e.metrics.p99Ms) && Number.isFinite(e.metrics.costPer1kOk));
  const front = paretoFront(latest.map((e) => ({ x: e.metrics.p99Ms, y: e.metrics.costPer1kOk })));
  const order = new Map(front.map((idx, k) => [idx, k] as const));
  return latest.map((e, i) => ({
    id: e.id,
    p99: e.metrics.p99Ms,
    cost: e.metrics.costPer1kOk,
    errorRate: e.metrics.errorRate,
    rung: `rung ${e.rung + 1} (${e.seeds.length} seed${e.seeds.length > 1 ? 's' : ''}, ${e.durationS} s)`,
    role: e.id === o.best.id ? 'tuned' : e.id === 0 ? 'default' : 'candidate',
    feasible: e.verdict.feasible,
    pareto: order.has(i),
    order: order.get(i) ?? -1,
  }));
}

export function tuneParetoChart(o: TuneOutcome): ChartSpec {
  const rows = configPoints(o);
  const x = { field: 'p99', type: 'quantitative', title: 'p99 latency (ms)', scale: { zero: false, nice: true } };
  const y = { field: 'cost', type: 'quantitative', title: 'cost per 1k ok requests (USD)', scale: { zero: false, nice: true } };
  const layer: Json[] = [
    {
      transform: [{ filter: 'datum.pareto' }],
      mark: { type: 'line', color: '#888', strokeDash: [5, 3], strokeWidth: 1.5 },
      encoding: { x, y, order: { field: 'order', type: 'quantitative' } },
    },
    {
      mark: { type: 'point', filled: true, size: 70, opacity: 0.8 },
      encoding: {
        x,
        y,
        color: { field: 'rung', type: 'nominal', title: 'highest rung reached', scale: { scheme: 'viridis' } },
        shape: { field: 'feasible', type: 'nominal', title: 'meets constraints', scale: { domain: [true, false], range: ['circle', 'cross'] } },
        tooltip: [
          { field: 'id', title: 'config #' },
          { field: 'p99', title: 'p99 (ms)', format: ',.0f' },
          { field: 'cost', title: 'USD per 1k ok', format: '$.4f' },
          { field: 'errorRate', title: 'error rate', format: '.2%' },
          { field: 'rung' },
          { field: 'feasible', title: 'meets constraints' },
          { field: 'pareto', title: 'Pareto-optimal' },
        ],
      },
    },
    {
      transform: [{ filter: "datum.role !== 'candidate'" }],
      mark: { type: 'point', shape: 'circle', size: 380, filled: false, strokeWidth: 2 },
      encoding: {
        x,
        y,
        stroke: { field: 'role', type: 'nominal', title: 'marked', scale: { domain: ['default', 'tuned'], range: ['#d62728', '#2ca02c'] } },
      },
    },
    {
      transform: [{ filter: "datum.role !== 'candidate'" }],
      mark: { type: 'text', align: 'left', dx: 13, dy: -9, fontSize: 11, fontWeight: 'bold' },
      encoding: { x, y, text: { field: 'role' }, color: { value: '#222' } },
    },
  ];
  if (o.limits.p99Ms !== undefined) layer.push(rule('x', o.limits.p99Ms, `p99 SLO ${o.limits.p99Ms} ms`));
  if (o.limits.costPer1kOk !== undefined) layer.push(rule('y', o.limits.costPer1kOk, `budget $${o.limits.costPer1kOk}/1k`));
  return {
    id: 'tune-pareto',
    title: 'Every evaluated config: cost vs p99',
    spec: top({
      title: {
        text: 'Every evaluated config: cost vs p99',
        subtitle: `${rows.length} configs at the highest rung each reached · dashed line: Pareto front (nothing is both faster and cheaper) · ✕ = breaks a constraint`,
      },
      width: 600,
      height: 360,
      data: { values: rows },
      layer,
    }),
  };
}

function rule(axis: 'x' | 'y', v: number, label: string): Json {
  const enc = { field: 'v', type: 'quantitative' };
  return {
    data: { values: [{ v, label }] },
    layer: [
      { mark: { type: 'rule', color: '#c0392b', strokeDash: [6, 4] }, encoding: { [axis]: enc } },
      {
        mark:
          axis === 'x'
            ? { type: 'text', align: 'left', baseline: 'top', dx: 4, dy: 4, fontSize: 10, color: '#c0392b' }
            : { type: 'text', align: 'right', baseline: 'bottom', dy: -3, fontSize: 10, color: '#c0392b' },
        encoding: axis === 'x' ? { x: enc, y: { value: 0 }, text: { field: 'label' } } : { y: enc, x: { value: 600 }, text: { field: 'label' } },
      },
    ],
  };
}

const CI_METRICS = [
  { key: 'latencyMs.p99', title: 'p99 latency (ms)' },
  { key: 'costPer1kOk', title: 'USD per 1k ok' },
  { key: 'errorRate', title: 'error rate' },
] as const;

export interface CiRow {
  config: string;
  metric: string;
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

export function ciRows(r: ResultsFile): CiRow[] {
  const rows: CiRow[] = [];
  for (const s of r.strategies)
    for (const m of CI_METRICS) {
      const ci = s.ci?.[m.key];
      if (ci) rows.push({ config: s.strategy, metric: m.title, mean: ci.mean, lo: ci.lo, hi: ci.hi, n: ci.n });
    }
  return rows;
}

/** Default vs tuned with 95% CIs, one panel per metric (own x scale each). */
export function tuneCiChart(r: ResultsFile): ChartSpec {
  const rows = ciRows(r);
  const configs = r.strategies.map((s) => s.strategy);
  const colour = {
    field: 'config',
    type: 'nominal',
    title: 'config (seeds)',
    sort: configs,
    scale: { domain: configs, range: ['#d62728', '#2ca02c', '#ff9896', '#98df8a'] },
  };
  const yEnc = { field: 'config', type: 'nominal', title: null, sort: configs };
  return {
    id: 'tune-ci',
    title: 'Default vs tuned, 95% CI across seeds',
    spec: top({
      title: {
        text: 'Default vs tuned: mean and 95% CI across seeds',
        subtitle: 'search seeds: the seeds the tuner saw · held-out: seeds it never saw (the honest check) · Student t intervals',
      },
      data: { values: rows },
      facet: { row: { field: 'metric', type: 'nominal', title: null, sort: CI_METRICS.map((m) => m.title) } },
      resolve: { scale: { x: 'independent' } },
      spec: {
        width: 520,
        height: 90,
        layer: [
          {
            mark: { type: 'rule', strokeWidth: 2 },
            encoding: { y: yEnc, x: { field: 'lo', type: 'quantitative', title: null, scale: { zero: false } }, x2: { field: 'hi' }, color: colour },
          },
          {
            mark: { type: 'point', filled: true, size: 90 },
            encoding: {
              y: yEnc,
              x: { field: 'mean', type: 'quantitative' },
              color: colour,
              tooltip: [
                { field: 'config' },
                { field: 'metric' },
                { field: 'mean', format: ',.4~g' },
                { field: 'lo', title: '95% CI low', format: ',.4~g' },
                { field: 'hi', title: '95% CI high', format: ',.4~g' },
                { field: 'n', title: 'seeds' },
              ],
            },
          },
        ],
      },
    }),
  };
}
