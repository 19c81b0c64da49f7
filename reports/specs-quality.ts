import type { ResultsFile } from './contract.js';
import { CI_KEYS, ciOf, coincidentLabels, labelSlots } from './data.js';
import type { ColourScale } from './palette.js';
import { paretoFront } from './pareto.js';
import type { ChartSpec, Json } from './specs-common.js';
import { frontLayers, scatterChart, sloRule } from './specs-summary.js';

/**
 * Quality vs cost, wherever requests carry prompt classes (summary.qualityOk present): the
 * share of acceptable answers against the cost per 1k ok requests. Upper-left is better; the
 * Pareto front (no strategy both cheaper and better) is ringed and joined, as in cost-vs-p99.
 */

export interface QualityRow {
  strategy: string;
  cost: number;
  quality: number;
  pareto: boolean;
  order?: number;
  label: string;
  slot: number;
  costLo?: number;
  costHi?: number;
  qualityLo?: number;
  qualityHi?: number;
}

export function qualityRows(r: ResultsFile): QualityRow[] {
  const withQ = r.strategies.filter((s) => s.summary.qualityOk !== undefined);
  // Pareto on (cost, -quality): both "lower is better".
  const pts = withQ.map((s) => ({ x: s.summary.costPer1kOk, y: -s.summary.qualityOk! }));
  const front = paretoFront(pts);
  const labels = coincidentLabels(withQ.map((s) => s.strategy), pts, front);
  const slots = labelSlots(pts, labels);
  return withQ.map((s, i) => {
    const row: QualityRow = { strategy: s.strategy, cost: pts[i]!.x, quality: s.summary.qualityOk!, pareto: front.includes(i), label: labels[i]!, slot: slots[i]! };
    if (row.pareto) row.order = front.indexOf(i);
    const c = ciOf(s, CI_KEYS.costPer1kOk);
    const q = ciOf(s, 'qualityOk');
    if (c) Object.assign(row, { costLo: c.lo, costHi: c.hi });
    if (q) Object.assign(row, { qualityLo: q.lo, qualityHi: q.hi });
    return row;
  });
}

/** null when no strategy judged quality (no prompt classes with quality in the run). */
export function qualityCostChart(r: ResultsFile, strategies: ColourScale): ChartSpec | null {
  const rows = qualityRows(r);
  if (rows.length === 0) return null;
  const x = { field: 'cost', type: 'quantitative', title: 'cost per 1k ok requests (USD)', scale: { zero: false, nice: true } };
  const y = { field: 'quality', type: 'quantitative', title: 'acceptable answers (% of ok)', axis: { format: '%' }, scale: { zero: false, nice: true } };
  const layer: Json[] = [];
  if (rows.some((p) => p.costLo !== undefined))
    layer.push({ transform: [{ filter: 'isValid(datum.costLo)' }], mark: { type: 'rule', color: '#444' }, encoding: { x: { ...x, field: 'costLo' }, x2: { field: 'costHi' }, y } });
  if (rows.some((p) => p.qualityLo !== undefined))
    layer.push({ transform: [{ filter: 'isValid(datum.qualityLo)' }], mark: { type: 'rule', color: '#444' }, encoding: { x, y: { ...y, field: 'qualityLo' }, y2: { field: 'qualityHi' } } });
  layer.push(
    ...frontLayers(x, y, strategies, [
      { field: 'strategy' },
      { field: 'cost', title: 'USD per 1k ok', format: '$.4f' },
      { field: 'quality', title: 'acceptable', format: '.1%' },
      { field: 'pareto', title: 'Pareto-optimal' },
    ]),
  );
  if (r.slo?.costPer1kOk !== undefined) layer.push(sloRule('x', r.slo.costPer1kOk, `budget $${r.slo.costPer1kOk}/1k`));
  return scatterChart('quality-vs-cost', 'Quality vs cost', 'upper-left is better · ringed ★ points (joined) are Pareto-optimal: nothing is both cheaper and better', rows, layer);
}
