import { MIN_BEYOND, type FidelityReport, type FidelityRow, type Rule } from './fidelity.js';
import { textTable } from '../../reports/text-table.js';

/**
 * The fidelity check as text: one line per strategy and metric (sim, http, the
 * difference in the rule's units, the limit, within or outside), then a verdict.
 */

const COLUMNS = ['strategy', 'metric', 'sim', 'http', 'difference', 'tolerance', ''] as const;

function value(metric: string, v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '-';
  if (metric === 'requests' || metric.startsWith('errors:')) return String(v);
  if (metric === 'errorRate' || metric === 'cacheHitRate' || metric.startsWith('share:')) return `${(100 * v).toFixed(2)}%`;
  if (metric === 'costPer1kOk') return v.toFixed(4);
  if (metric === 'failoverS') return v.toFixed(1);
  return v.toFixed(0);
}

/** A difference in its rule's units: relative/points as %, log-ratio and z as numbers, absolute in s. */
export function formatDiff(rule: Rule, d: number | null): string {
  if (d === null || !Number.isFinite(d)) return 'n/a';
  const sign = d > 0 ? '+' : '';
  switch (rule) {
    case 'relative':
      return `${sign}${(100 * d).toFixed(2)}%`;
    case 'points':
      return `${sign}${(100 * d).toFixed(2)} pt`;
    case 'log-ratio':
      return `ln ${sign}${d.toFixed(3)}`;
    case 'binomial':
      return `z ${sign}${d.toFixed(2)}`;
    case 'absolute':
      return `${sign}${d.toFixed(1)} s`;
  }
}

export function formatLimit(rule: Rule, limit: number): string {
  switch (rule) {
    case 'relative':
      return `±${(100 * limit).toFixed(limit < 0.1 ? 0 : 1)}%`;
    case 'points':
      return `±${(100 * limit).toFixed(0)} pt`;
    case 'log-ratio':
      return `|ln| ≤ ${limit}`;
    case 'binomial':
      return `|z| ≤ ${limit}`;
    case 'absolute':
      return `±${limit} s`;
  }
}

/** An order spread as text: `lo..hi`, with `or none` when a run had no value (a failover seen in some runs only). */
function spreadText(r: FidelityRow): string {
  const range = r.orderSpread ? `${value(r.metric, r.orderSpread[0])}..${value(r.metric, r.orderSpread[1])}` : '';
  return r.http === null ? (range ? `${range} or none` : 'none') : range;
}

function cells(r: FidelityRow): string[] {
  return [
    r.strategy,
    r.metric,
    value(r.metric, r.sim),
    value(r.metric, r.http),
    formatDiff(r.rule, r.diff),
    formatLimit(r.rule, r.limit) + (r.widened ? ' (widened)' : ''),
    r.withinBySpread ? `within (order spread ${spreadText(r)})` : r.within ? 'within' : r.few ? 'too few' : r.inconclusive ? 'inconclusive' : 'OUTSIDE',
  ];
}

export function formatFidelity(f: FidelityReport): string {
  const table = textTable(COLUMNS, f.rows.map(cells), 2);
  const rank = f.p99RankAgreement === null ? '' : `; p99 order agrees for ${(100 * f.p99RankAgreement).toFixed(0)}% of strategy pairs`;
  const judged = f.rows.length - f.inconclusive;
  const verdict =
    f.outside === 0
      ? `sim and http agree within tolerance on all ${judged} checks judged${rank}`
      : `sim and http DISAGREE: ${f.outside} of ${judged} checks judged are outside tolerance${rank}`;
  const h = f.harness;
  const busy =
    h === undefined
      ? []
      : [
          `harness: the runner's timers ran up to ${h.loopDelayP99Ms.toFixed(1)} ms late (p99) during http, x${h.speed} speed = ${h.busyLatencyMs.toFixed(0)} scenario ms` +
            (f.inconclusive - f.few > 0 ? `; ${f.inconclusive - f.few} latency check(s) inconclusive: a gap no larger than that lateness` : ''),
        ];
  const few =
    f.few > 0 ? [`${f.few} latency check(s) not judged: fewer than ${MIN_BEYOND} requests beyond the quantile (one request more or less in the tail moves it past any tolerance)`] : [];
  const spread =
    f.withinBySpread && f.orderSpread
      ? [
          `${f.withinBySpread} check(s) within only by the order spread: the http value lies in the range the simulator gives over ${f.orderSpread.runs} reruns with arrivals shifted by up to ±${f.orderSpread.jitterMs} ms (the driver's timer lateness: requests due within it leave in one burst and reach the proxy in any order)`,
        ]
      : [];
  const widened = [...new Set(f.rows.filter((r) => r.widened).map((r) => `${r.key}: ${r.widened}`))];
  return [
    `fidelity of ${f.scenario} (seed ${f.seed}, ${f.durationS} s): sim vs http`,
    ...table,
    verdict,
    ...busy,
    ...few,
    ...spread,
    ...widened.map((w) => `widened ${w}`),
  ].join('\n');
}
