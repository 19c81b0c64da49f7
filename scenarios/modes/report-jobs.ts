import type { ChartSpec } from '../../reports/specs.js';
import { phase } from '../progress/phase-timer.js';
import type { SimPool } from './sim-pool.js';

/**
 * The report's charts as jobs on a worker pool (each worker writes <id>.svg and <id>.png
 * through reports/render.ts renderChartFiles, exactly as the in-thread renderer does).
 * Longest job first: the time series (thousands of points, 0.1-0.4 s each to lay out and
 * rasterise) go before the per-strategy summaries (~50 ms), so no core is left with a big
 * chart at the end. Unknown ids go last, in chart order.
 */
const COST_RANK = ['provider-share', 'latency', 'errors', 'throughput'];

function rank(id: string): number {
  const i = COST_RANK.indexOf(id);
  return i < 0 ? COST_RANK.length : i;
}

export async function renderChartsOn(pool: SimPool, charts: readonly ChartSpec[], dir: string): Promise<string[]> {
  const order = charts.map((_, i) => i).sort((a, b) => rank(charts[a]!.id) - rank(charts[b]!.id) || a - b);
  const svgs = new Array<string>(charts.length);
  await Promise.all(
    order.map(async (i) => {
      const chart = charts[i]!;
      svgs[i] = await pool.run<string>({ kind: 'chart', chart, dir }, `chart ${chart.id}`);
      phase(`chart ${chart.id}`);
    }),
  );
  return svgs;
}
