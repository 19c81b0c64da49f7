import type { ResultsFile } from './contract.js';
import { providersOf } from './data.js';
import { providerScale, strategyScale } from './palette.js';
import type { ChartSpec } from './specs-common.js';
import { paretoChart, quantilesChart, regretChart } from './specs-summary.js';
import { qualityCostChart } from './specs-quality.js';
import { sweepChart } from './specs-sweep.js';
import { errorsChart, latencyChart, shareChart, throughputChart } from './specs-time.js';
import { cacheChart } from './specs-cache.js';

export type { ChartSpec } from './specs-common.js';

/**
 * results.json -> the report's Vega-Lite charts, in reading order. Pure: same results, same
 * specs (data embedded as inline values; nothing is ever loaded from a URL).
 * The regret chart is present only when some strategy has `regret` (sim mode); the prompt-cache
 * chart only when some strategy reports `cachedTokenShare`; the quality-vs-cost chart only when
 * requests were judged for quality (prompt classes or outcome replay); the sweep chart only
 * after a capacity sweep.
 */
export function buildCharts(r: ResultsFile): ChartSpec[] {
  const strategies = strategyScale(r.strategies.map((s) => s.strategy));
  const providers = providerScale(providersOf(r));
  const charts: (ChartSpec | null)[] = [
    throughputChart(r, strategies),
    latencyChart(r, strategies),
    errorsChart(r, strategies),
    shareChart(r, strategies, providers),
    quantilesChart(r, strategies),
    paretoChart(r, strategies),
    qualityCostChart(r, strategies),
    regretChart(r, strategies),
    cacheChart(r, strategies),
    qualityCostChart(r, strategies),
    sweepChart(r, strategies),
  ];
  return charts.filter((c): c is ChartSpec => c !== null);
}
