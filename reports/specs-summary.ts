import type { ResultsFile } from './contract.js';
import { LABEL_SLOTS, paretoRows, quantileRows, regretRows } from './data.js';
import type { ColourScale } from './palette.js';
import { colourEncoding, top, WIDTH, type ChartSpec, type Json } from './specs-common.js';

/** Scatter plots: most of the page width, leaving room for the legend and point labels. */
export const SCATTER_WIDTH = WIDTH - 200;

/** Whole-run charts: one mark per strategy. Error bars appear when multi-seed `ci` intervals exist. */

const hasCi = (rows: readonly { lo?: number }[]): boolean => rows.some((x) => x.lo !== undefined);

/** 95% CI whisker drawn as a rule from lo to hi (only rows that have one). */
function ciRule(x: Json, loField: string, hiField: string, extra: Json = {}): Json {
  return {
    transform: [{ filter: `isValid(datum.${loField})` }],
    mark: { type: 'rule', color: '#222', strokeWidth: 1.3 },
    encoding: { ...x, y: { field: loField, type: 'quantitative' }, y2: { field: hiField }, ...extra },
  };
}

/** Grouped bars: strategies on x, p50/p99/p99.9 side by side (xOffset), darker = higher quantile. */
export function quantilesChart(r: ResultsFile, strategies: ColourScale): ChartSpec {
  const rows = quantileRows(r);
  const x = { x: { field: 'strategy', type: 'nominal', sort: strategies.domain, title: null, axis: { labelAngle: 0 } } };
  const xOffset = { xOffset: { field: 'quantile', type: 'nominal', sort: ['p50', 'p99', 'p99.9'] } };
  const layer: Json[] = [
    {
      mark: { type: 'bar' },
      encoding: {
        ...x,
        ...xOffset,
        y: { field: 'ms', type: 'quantitative', title: 'latency (ms)', stack: null },
        color: { ...colourEncoding('strategy', strategies, 'strategy'), legend: null },
        opacity: { field: 'quantile', type: 'nominal', title: 'quantile', sort: ['p50', 'p99', 'p99.9'], scale: { type: 'ordinal', domain: ['p50', 'p99', 'p99.9'], range: [0.35, 0.65, 1] } },
        tooltip: [{ field: 'strategy' }, { field: 'quantile' }, { field: 'ms', title: 'latency (ms)', format: ',.0f' }, { field: 'lo', format: ',.0f' }, { field: 'hi', format: ',.0f' }],
      },
    },
  ];
  // Value labels above the bars, unless CI whiskers already occupy that spot (the table has the numbers).
  if (hasCi(rows)) layer.push(ciRule(x, 'lo', 'hi', xOffset));
  else
    layer.push({
      mark: { type: 'text', dy: -4, fontSize: 9, color: '#333', baseline: 'bottom' },
      encoding: { ...x, ...xOffset, y: { field: 'ms', type: 'quantitative' }, text: { field: 'ms', format: ',.0f' } },
    });
  const width = Math.max(320, 110 * strategies.domain.length);
  if (r.slo?.p99Ms !== undefined) layer.push(sloRule('y', r.slo.p99Ms, `p99 SLO ${r.slo.p99Ms} ms`, width));
  const spec = top({
    title: {
      text: 'Latency percentiles per strategy',
      subtitle: `p50, p99 and p99.9 of end-to-end latency over the whole run${hasCi(rows) ? ' · whiskers: 95% CI across seeds' : ''}`,
    },
    width,
    height: 260,
    data: { values: rows },
    layer,
  });
  return { id: 'latency-percentiles', title: 'Latency percentiles per strategy', spec };
}

/**
 * Cost per 1k ok requests vs p99 (both lower = better). Pareto-optimal strategies are ringed
 * and joined by a line; dashed rules mark the SLOs when the scenario set them.
 */
export function paretoChart(r: ResultsFile, strategies: ColourScale): ChartSpec {
  const rows = paretoRows(r);
  const x = { field: 'p99', type: 'quantitative', title: 'p99 latency (ms)', scale: { zero: false, nice: true } };
  const y = { field: 'cost', type: 'quantitative', title: 'cost per 1k ok requests (USD)', scale: { zero: false, nice: true } };
  // Whiskers first so the points are drawn over them.
  const layer: Json[] = [];
  if (rows.some((p) => p.p99Lo !== undefined))
    layer.push({
      transform: [{ filter: 'isValid(datum.p99Lo)' }],
      mark: { type: 'rule', color: '#444' },
      encoding: { x: { ...x, field: 'p99Lo' }, x2: { field: 'p99Hi' }, y },
    });
  if (rows.some((p) => p.costLo !== undefined))
    layer.push({
      transform: [{ filter: 'isValid(datum.costLo)' }],
      mark: { type: 'rule', color: '#444' },
      encoding: { x, y: { ...y, field: 'costLo' }, y2: { field: 'costHi' } },
    });
  layer.push(
    ...frontLayers(x, y, strategies, [
      { field: 'strategy' },
      { field: 'p99', title: 'p99 (ms)', format: ',.0f' },
      { field: 'cost', title: 'USD per 1k ok', format: '$.4f' },
      { field: 'pareto', title: 'Pareto-optimal' },
    ]),
  );
  if (r.slo?.p99Ms !== undefined) layer.push(sloRule('x', r.slo.p99Ms, `p99 SLO ${r.slo.p99Ms} ms`));
  if (r.slo?.costPer1kOk !== undefined) layer.push(sloRule('y', r.slo.costPer1kOk, `budget $${r.slo.costPer1kOk}/1k`));
  return scatterChart('cost-vs-p99', 'Cost vs tail latency', 'lower-left is better · ringed ★ points (joined) are Pareto-optimal: nothing is both faster and cheaper', rows, layer);
}

/** A whole-run scatter (one point per strategy) over most of the page width. */
export function scatterChart(id: string, title: string, subtitle: string, rows: readonly object[], layer: Json[]): ChartSpec {
  return { id, title, spec: top({ title: { text: title, subtitle }, width: SCATTER_WIDTH, height: 340, data: { values: rows }, layer }) };
}

/** A scatter with its Pareto front: the front joined by a dashed line and ringed, one dot per strategy, labels. */
export function frontLayers(x: Json, y: Json, strategies: ColourScale, tooltip: Json[]): Json[] {
  return [
    {
      transform: [{ filter: 'datum.pareto' }],
      mark: { type: 'line', color: '#888', strokeDash: [5, 3], strokeWidth: 1.5 },
      encoding: { x, y, order: { field: 'order', type: 'quantitative' } },
    },
    {
      transform: [{ filter: 'datum.pareto' }],
      mark: { type: 'point', shape: 'circle', size: 420, filled: false, color: '#111', strokeWidth: 1.5 },
      encoding: { x, y },
    },
    {
      mark: { type: 'point', shape: 'circle', size: 140, filled: true, opacity: 1 },
      encoding: { x, y, color: colourEncoding('strategy', strategies, 'strategy'), tooltip },
    },
    ...pointLabels(x, y),
  ];
}

/**
 * Point labels in rows: one label per distinct point (strategies on the same point share it,
 * "cost, classifier ★"), nearby points' labels in different rows (data.ts labelSlots).
 */
export function pointLabels(x: Json, y: Json): Json[] {
  return Array.from({ length: LABEL_SLOTS }, (_, slot) => ({
    transform: [{ filter: `datum.label !== '' && datum.slot === ${slot}` }],
    mark: { type: 'text', align: 'left', dx: 12, dy: -8 + 15 * slot, fontSize: 11 },
    encoding: { x, y, text: { field: 'label' }, color: { value: '#222' } },
  }));
}

/** A dashed SLO line at x = v or y = v (label at the right end, x = width); its own one-row dataset so it draws once. */
export function sloRule(axis: 'x' | 'y', v: number, label: string, width = SCATTER_WIDTH): Json {
  const enc = { field: 'v', type: 'quantitative' };
  return {
    data: { values: [{ v, label }] },
    layer: [
      { mark: { type: 'rule', color: '#c0392b', strokeDash: [6, 4] }, encoding: { [axis]: enc } },
      {
        mark: axis === 'x'
          ? { type: 'text', align: 'right', baseline: 'top', dx: -4, dy: 4, fontSize: 10, color: '#c0392b' }
          : { type: 'text', align: 'right', baseline: 'bottom', dy: -3, fontSize: 10, color: '#c0392b' },
        encoding: axis === 'x' ? { x: enc, y: { value: 0 }, text: { field: 'label' } } : { y: enc, x: { value: width }, text: { field: 'label' } },
      },
    ],
  };
}

/** Regret vs the hindsight oracle, three panels (cost, p99, errors) with their own y scales; null when absent. */
export function regretChart(r: ResultsFile, strategies: ColourScale): ChartSpec | null {
  const rows = regretRows(r);
  if (rows.length === 0) return null;
  return facetBarChart(rows, strategies, {
    id: 'regret',
    title: 'Regret vs hindsight oracle',
    subtitle: `how much worse than picking the best endpoint for every request in hindsight (lower is better)${hasCi(rows) ? ' · whiskers: 95% CI' : ''}`,
    panels: ['extra cost (USD)', 'extra p99 (ms)', 'extra errors (count)'],
  });
}

/** One bar per strategy in a panel per `metric` (independent y scales), with CI whiskers when rows have them. */
export function facetBarChart(
  rows: ReadonlyArray<{ strategy: string; metric: string; value: number; lo?: number }>,
  strategies: ColourScale,
  o: { id: string; title: string; subtitle: string; panels: readonly string[] },
): ChartSpec {
  const x = { x: { field: 'strategy', type: 'nominal', sort: strategies.domain, title: null, axis: { labelAngle: -30 } } };
  const layer: Json[] = [
    {
      mark: { type: 'bar' },
      encoding: {
        ...x,
        y: { field: 'value', type: 'quantitative', title: null },
        color: colourEncoding('strategy', strategies, 'strategy'),
        tooltip: [{ field: 'strategy' }, { field: 'metric' }, { field: 'value', format: ',.4~f' }],
      },
    },
  ];
  if (hasCi(rows)) layer.push(ciRule(x, 'lo', 'hi'));
  const spec = top({
    title: { text: o.title, subtitle: o.subtitle },
    data: { values: rows },
    facet: { field: 'metric', type: 'nominal', title: null, sort: [...o.panels], header: { labelFontWeight: 'bold', labelFontSize: 12 } },
    columns: 3,
    spec: { width: 190, height: 200, layer },
    resolve: { scale: { y: 'independent' } },
  });
  return { id: o.id, title: o.title, spec };
}
