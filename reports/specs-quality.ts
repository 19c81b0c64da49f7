import type { CurvePoint } from '../simulator/apgr.js';
import type { ResultsFile } from './contract.js';
import type { ColourScale } from './palette.js';
import { paretoFront } from './pareto.js';
import { colourEncoding, HEIGHT, top, WIDTH, type ChartSpec } from './specs-common.js';

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

/**
 * Quality (share of acceptable answers) vs cost per 1k ok requests, one point per
 * strategy: up-left is better. Pareto-optimal strategies (nothing else is both cheaper
 * and better) are ringed and joined. Only when every strategy has a quality figure
 * (prompt classes with quality, or outcome replay); null otherwise.
 */
export function qualityCostChart(r: ResultsFile, strategies: ColourScale): ChartSpec | null {
  if (r.strategies.length === 0 || r.strategies.some((s) => s.summary.qualityOk === undefined)) return null;
  const pts = r.strategies.map((s) => ({ x: s.summary.costPer1kOk, y: -s.summary.qualityOk! }));
  const front = paretoFront(pts);
  const rows = r.strategies.map((s, i) => ({
    strategy: s.strategy,
    cost: s.summary.costPer1kOk,
    quality: s.summary.qualityOk!,
    pareto: front.includes(i),
    order: front.indexOf(i),
  }));
  const x = { field: 'cost', type: 'quantitative', title: 'cost per 1k ok requests (USD)', scale: { zero: false, nice: true } };
  const y = { field: 'quality', type: 'quantitative', title: 'acceptable answers', scale: { zero: false, nice: true }, axis: { format: '%' } };
  const spec = top({
    title: { text: 'Quality vs cost', subtitle: 'upper-left is better · ringed ★ points (joined) are Pareto-optimal: nothing is both cheaper and better' },
    width: 560,
    height: 340,
    data: { values: rows },
    layer: [
      {
        transform: [{ filter: 'datum.pareto' }],
        mark: { type: 'line', color: '#888', strokeDash: [5, 3], strokeWidth: 1.5 },
        encoding: { x, y, order: { field: 'order', type: 'quantitative' } },
      },
      { transform: [{ filter: 'datum.pareto' }], mark: { type: 'point', shape: 'circle', size: 420, filled: false, color: '#111', strokeWidth: 1.5 }, encoding: { x, y } },
      {
        mark: { type: 'point', shape: 'circle', size: 140, filled: true, opacity: 1 },
        encoding: {
          x,
          y,
          color: colourEncoding('strategy', strategies, 'strategy'),
          tooltip: [{ field: 'strategy' }, { field: 'quality', title: 'acceptable', format: '.1%' }, { field: 'cost', title: 'USD per 1k ok', format: '$.4f' }],
        },
      },
      {
        transform: [{ calculate: "datum.strategy + (datum.pareto ? ' ★' : '')", as: 'label' }],
        mark: { type: 'text', align: 'left', dx: 12, dy: -8, fontSize: 11 },
        encoding: { x, y, text: { field: 'label' }, color: { value: '#222' } },
      },
    ],
  });
  return { id: 'quality-vs-cost', title: 'Quality vs cost', spec };
}
