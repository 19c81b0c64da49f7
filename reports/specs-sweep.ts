import type { ResultsFile } from './contract.js';
import type { ColourScale } from './palette.js';
import { colourEncoding, top, WIDTH, type ChartSpec, type Json } from './specs-common.js';

/**
 * The saturation curve of a capacity sweep: goodput (ok requests within the SLO per second)
 * against the offered load, one line per strategy, the knee (the strategy's capacity: the
 * highest load meeting the SLO) ringed and labelled. A grey diagonal marks goodput = offered
 * load: below the knee a good strategy follows it, past the knee goodput falls away.
 */
export function sweepChart(r: ResultsFile, strategies: ColourScale): ChartSpec | null {
  const s = r.sweep;
  if (!s || s.points.length === 0) return null;
  const points = s.points.map((p) => ({ row: 'point', ...p, knee: s.capacity[p.strategy] === p.rate }));
  const lo = Math.min(...s.rates);
  const hi = Math.max(...s.rates);
  const x = { field: 'rate', type: 'quantitative', title: 'offered load (req/s)', scale: { zero: false } };
  const y = { field: 'goodputRps', type: 'quantitative', title: 'goodput (ok within SLO, req/s)' };
  const layer: Json[] = [
    {
      data: { values: [{ rate: lo, goodputRps: lo }, { rate: hi, goodputRps: hi }] },
      mark: { type: 'line', color: '#bbb', strokeDash: [2, 3], strokeWidth: 1 },
      encoding: { x, y },
    },
    {
      mark: { type: 'line', point: true },
      encoding: {
        x,
        y,
        color: colourEncoding('strategy', strategies, 'strategy'),
        tooltip: [
          { field: 'strategy' },
          { field: 'rate', title: 'offered (req/s)' },
          { field: 'goodputRps', title: 'goodput (req/s)', format: ',.1f' },
          { field: 'p99Ms', title: 'p99 (ms)', format: ',.0f' },
          { field: 'errorRate', title: 'error rate', format: '.2%' },
          { field: 'meetsSlo', title: 'meets SLO' },
        ],
      },
    },
    {
      transform: [{ filter: 'datum.knee' }],
      mark: { type: 'point', shape: 'circle', size: 380, filled: false, color: '#111', strokeWidth: 1.5 },
      encoding: { x, y },
    },
  ];
  // p99 against the offered load with the SLO line: where each strategy crosses it is its knee.
  const p99Layer: Json[] = [
    {
      mark: { type: 'line', point: true },
      encoding: { x, y: { field: 'p99Ms', type: 'quantitative', title: 'p99 (ms)' }, color: colourEncoding('strategy', strategies, 'strategy') },
    },
    {
      transform: [{ filter: 'datum.knee' }],
      mark: { type: 'point', shape: 'circle', size: 380, filled: false, color: '#111', strokeWidth: 1.5 },
      encoding: { x, y: { field: 'p99Ms', type: 'quantitative' } },
    },
  ];
  if (r.slo?.p99Ms !== undefined)
    p99Layer.push({ data: { values: [{ v: r.slo.p99Ms }] }, mark: { type: 'rule', color: '#c0392b', strokeDash: [6, 4] }, encoding: { y: { field: 'v', type: 'quantitative' } } });
  const caps = Object.entries(s.capacity)
    .map(([k, v]) => `${k} ${v === null ? '—' : v}`)
    .join(' · ');
  const spec = top({
    title: {
      text: 'Goodput vs offered load (capacity sweep)',
      subtitle: [`ringed: each strategy's knee = capacity, the highest load meeting the SLO (${s.seeds.length} seeds per point) · dotted: goodput = offered`, `capacity (req/s): ${caps}`],
    },
    data: { values: points },
    vconcat: [
      { width: WIDTH, height: 260, layer },
      { width: WIDTH, height: 200, title: { text: 'p99 vs offered load (dashed: the p99 SLO)', fontSize: 12, anchor: 'start', frame: 'group' }, layer: p99Layer },
    ],
    resolve: { scale: { color: 'shared' } },
  });
  return { id: 'capacity-sweep', title: 'Goodput vs offered load (capacity sweep)', spec };
}
