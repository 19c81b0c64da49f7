import type { ResultsFile } from './contract.js';
import { latencyRows, shareRows, timeRows } from './data.js';
import type { ColourScale } from './palette.js';
import { HEIGHT, TIME_X, WIDTH, colourEncoding, faultData, faultLayers, noteChart, top, type ChartSpec, type Json } from './specs-common.js';

/** Charts over time (one point per second, per strategy), with fault windows shaded. */

/** The layers every over-time panel shares: fault bands under one line per strategy. */
function strategyLines(r: ResultsFile, strategies: ColourScale, dataset: string, y: Json, tooltip: Json[], extra: Json = {}): Json[] {
  return [
    ...faultLayers(r.faults),
    {
      data: { name: dataset },
      ...extra,
      mark: { type: 'line' },
      encoding: { x: TIME_X, y, color: colourEncoding('strategy', strategies, 'strategy'), tooltip },
    },
  ];
}

function timeChart(r: ResultsFile, strategies: ColourScale, id: string, title: string, subtitle: string, y: Json): ChartSpec {
  const spec = top({
    title: { text: title, subtitle },
    width: WIDTH,
    height: HEIGHT,
    datasets: { timeline: timeRows(r), faults: faultData(r.faults) },
    layer: strategyLines(r, strategies, 'timeline', y, [{ field: 'strategy' }, { field: 't', title: 't (s)' }, { ...y, format: ',.1f' }]),
  });
  return { id, title, spec };
}

export function throughputChart(r: ResultsFile, strategies: ColourScale): ChartSpec {
  return timeChart(r, strategies, 'throughput', 'Throughput over time', 'requests finished per second (ok + failed), per strategy · red bands: fault windows', {
    field: 'rps',
    type: 'quantitative',
    title: 'throughput (req/s)',
  });
}

/** Error rate (top, comparable across strategies) and errors per second (bottom, absolute); "no errors" when there were none. */
export function errorsChart(r: ResultsFile, strategies: ColourScale): ChartSpec {
  if (r.strategies.every((s) => s.summary.errors === 0)) return noteChart('errors', 'Errors over time', 'no errors: every request of every strategy succeeded');
  const panel = (title: string, y: Json): Json => ({
    title: { text: title, fontSize: 12, anchor: 'start', frame: 'group' },
    width: WIDTH,
    height: 150,
    layer: strategyLines(r, strategies, 'timeline', y, [
      { field: 'strategy' },
      { field: 't', title: 't (s)' },
      { field: 'errors', title: 'errors (per s)', format: ',.1f' },
      { field: 'errorRate', title: 'error rate', format: '.2%' },
    ]),
  });
  const spec = top({
    title: { text: 'Errors over time', subtitle: 'requests that failed after retries and failover · red bands: fault windows' },
    datasets: { timeline: timeRows(r), faults: faultData(r.faults) },
    vconcat: [
      panel('error rate', { field: 'errorRate', type: 'quantitative', title: 'error rate (% of requests)', axis: { format: '%' } }),
      panel('errors per second', { field: 'errors', type: 'quantitative', title: 'errors (per s)' }),
    ],
    resolve: { scale: { color: 'shared' } },
  });
  return { id: 'errors', title: 'Errors over time', spec };
}

/** p50 (top) and p99 (bottom) in two panels: one panel each keeps ten lines from tangling. */
export function latencyChart(r: ResultsFile, strategies: ColourScale): ChartSpec {
  const panel = (q: 'p50' | 'p99'): Json => ({
    title: { text: `${q} latency`, fontSize: 12, anchor: 'start', frame: 'group' },
    width: WIDTH,
    height: 170,
    layer: strategyLines(
      r,
      strategies,
      'latency',
      { field: 'ms', type: 'quantitative', title: `${q} latency (ms)` },
      [{ field: 'strategy' }, { field: 't', title: 't (s)' }, { field: 'ms', title: `${q} (ms)`, format: ',.0f' }],
      { transform: [{ filter: { field: 'quantile', equal: q } }] },
    ),
  });
  const spec = top({
    title: { text: 'Latency over time', subtitle: 'per-second p50 and p99 of end-to-end latency · red bands: fault windows' },
    datasets: { latency: latencyRows(r), faults: faultData(r.faults) },
    vconcat: [panel('p50'), panel('p99')],
    resolve: { scale: { color: 'shared' } },
  });
  return { id: 'latency', title: 'Latency over time', spec };
}

/**
 * Provider share as stacked areas, one small multiple per strategy. Fault rows are repeated
 * per strategy so every panel can shade them (a facet reads a single dataset).
 */
export function shareChart(r: ResultsFile, strategies: ColourScale, providers: ColourScale): ChartSpec {
  // `row` tells the layers apart (a fault window has its own `kind`, e.g. "outage").
  const shares = shareRows(r, providers.domain).map((s) => ({ row: 'share', ...s }));
  const faults = strategies.domain.flatMap((strategy) =>
    faultData(r.faults).map((f) => ({ row: 'fault', strategy, start: f.start, end: f.end, label: `${f.provider} ${f.kind}` })),
  );
  const layer: Json[] = [
    {
      transform: [{ filter: "datum.row === 'share'" }],
      mark: { type: 'area', interpolate: 'linear' },
      encoding: {
        x: TIME_X,
        y: { field: 'share', type: 'quantitative', stack: 'zero', title: 'share of ok requests', axis: { format: '%' }, scale: { domain: [0, 1] } },
        color: colourEncoding('provider', providers, 'provider'),
        // Descending stack order puts the first provider on top, matching the legend's top-to-bottom order.
        order: { field: 'provider', sort: 'descending' },
        tooltip: [{ field: 'strategy' }, { field: 'provider' }, { field: 't', title: 't (s)' }, { field: 'share', format: '.1%' }],
      },
    },
  ];
  if (faults.length > 0)
    layer.push({
      transform: [{ filter: "datum.row === 'fault'" }],
      mark: { type: 'rect', fill: null, stroke: '#a31a1b', strokeDash: [4, 3], strokeWidth: 1.2 },
      encoding: { x: { field: 'start', type: 'quantitative' }, x2: { field: 'end' }, tooltip: [{ field: 'label', title: 'fault' }] },
    });
  const spec = top({
    title: { text: 'Provider share over time', subtitle: 'which provider served the successful requests, per strategy · dashed boxes: fault windows' },
    data: { values: [...shares, ...faults] },
    facet: { field: 'strategy', type: 'nominal', sort: strategies.domain, title: null, header: { labelFontWeight: 'bold', labelAnchor: 'start' } },
    columns: Math.min(3, strategies.domain.length),
    spec: { width: 250, height: 130, layer },
    // Each panel gets its own x axis, so an empty grid cell does not show a stray axis.
    resolve: { axis: { x: 'independent' } },
  });
  return { id: 'provider-share', title: 'Provider share over time', spec };
}
