import type { CurvePoint } from '../simulator/apgr.js';
import type { ResultsFile } from './contract.js';
import { CI_KEYS, ciOf, coincidentLabels, labelSlots } from './data.js';
import type { ColourScale } from './palette.js';
import { paretoFront } from './pareto.js';
import { HEIGHT, top, WIDTH, type ChartSpec, type Json } from './specs-common.js';
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

/**
 * Quality vs the share of prompts sent to the strong model, one line per router (the
 * RouteLLM plot): random is the straight line from all-weak to all-strong; the area
 * between a router's curve and the all-weak level, over the strong–weak gap, is its APGR.
 */
export function qualityCurveChart(
  curves: ReadonlyArray<{ router: string; apgr: number; curve: readonly CurvePoint[] }>,
  subtitle: string,
): ChartSpec {
  const rows = curves.flatMap((c) => {
    const label = `${c.router} (APGR ${c.apgr.toFixed(3)})`;
    // At most ~100 points per line: the shape, not every prompt.
    const step = Math.max(1, Math.floor(c.curve.length / 100));
    return c.curve.filter((_, i) => i % step === 0 || i === c.curve.length - 1).map((p) => ({ router: label, share: p.share, quality: p.quality }));
  });
  return {
    id: 'quality-vs-strong-share',
    title: 'Quality vs strong-model share',
    spec: top({
      title: { text: 'Quality vs share of prompts sent to the strong model', subtitle },
      width: WIDTH,
      height: HEIGHT + 80,
      data: { values: rows },
      mark: { type: 'line' },
      encoding: {
        x: { field: 'share', type: 'quantitative', title: 'share of prompts sent to the strong model', axis: { format: '%' } },
        y: { field: 'quality', type: 'quantitative', title: 'share of correct answers', scale: { zero: false }, axis: { format: '%' } },
        color: { field: 'router', type: 'nominal', title: 'router', legend: { labelLimit: 320 } },
      },
    }),
  };
}
