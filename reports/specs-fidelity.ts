import type { FidelityReport } from '../scenarios/fidelity/fidelity.js';
import { strategyScale } from './palette.js';
import { colourEncoding, top, type ChartSpec } from './specs-common.js';

/**
 * The fidelity chart: for every metric (rows) and strategy (colour), how much of its
 * tolerance the sim/http difference uses (|difference| / limit). Left of the rule at 1 is
 * within tolerance; a metric with no comparable value (one world only) is drawn at the cap;
 * a latency gap judged inconclusive (a busy machine, scenarios/fidelity/fidelity.ts) is lighter than an outside one.
 */

/** Bars longer than this are drawn at it (the table in fidelity.json has the number). */
const CAP = 3;

export function fidelityChart(f: FidelityReport): ChartSpec {
  const rows = f.rows.map((r) => {
    const used = r.diff === null ? CAP : Math.min(CAP, Math.abs(r.diff) / r.limit);
    return { strategy: r.strategy, metric: r.metric, used, within: r.within ? 'within' : r.inconclusive ? 'inconclusive' : 'outside' };
  });
  const metrics = [...new Set(rows.map((r) => r.metric))];
  const strategies = [...new Set(rows.map((r) => r.strategy))];
  const spec = top({
    title: {
      text: `Sim vs http: share of tolerance used (${f.scenario})`,
      subtitle: `seed ${f.seed}, ${f.durationS} s; 1 = at the limit, right of the rule = outside; capped at ${CAP}`,
    },
    width: 420,
    height: Math.max(160, 16 * metrics.length * Math.min(3, strategies.length)),
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'metric', type: 'nominal', sort: metrics, title: null },
          yOffset: { field: 'strategy', type: 'nominal', sort: strategies },
          x: { field: 'used', type: 'quantitative', title: '|difference| / tolerance', scale: { domain: [0, CAP] }, axis: { tickCount: 6 } },
          color: colourEncoding('strategy', strategyScale(strategies), 'strategy'),
          opacity: { field: 'within', type: 'ordinal', sort: ['within', 'inconclusive', 'outside'], scale: { domain: ['within', 'inconclusive', 'outside'], range: [0.5, 0.75, 1] }, title: null },
          tooltip: [{ field: 'strategy' }, { field: 'metric' }, { field: 'used', format: '.2f' }, { field: 'within' }],
        },
      },
      { mark: { type: 'rule', color: '#b00', strokeDash: [4, 3] }, encoding: { x: { datum: 1 } } },
    ],
  });
  return { id: 'fidelity', title: 'Sim vs http fidelity', spec };
}
