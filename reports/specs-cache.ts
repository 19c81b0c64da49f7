import type { ResultsFile } from './contract.js';
import { CI_KEYS, ciOf } from './data.js';
import type { ColourScale } from './palette.js';
import type { ChartSpec } from './specs-common.js';
import { facetBarChart } from './specs-summary.js';

/**
 * Prompt caching per strategy (scenarios whose requests carry prefixes): cached share of
 * input tokens, USD saved by the caches and TTFT p50, one panel each; the subtitle gives
 * the oracle placement's share. Absent (null) when no strategy reports a cached share.
 */

const PANELS = [
  { label: 'cached input tokens (%)', key: CI_KEYS.cachedTokenShare, scale: 100, get: (s: ResultsFile['strategies'][number]) => s.summary.cachedTokenShare },
  { label: 'saved by the caches (USD)', key: CI_KEYS.cacheSavingsUsd, scale: 1, get: (s: ResultsFile['strategies'][number]) => s.summary.cacheSavingsUsd },
  { label: 'TTFT p50 (ms)', key: CI_KEYS.ttftP50, scale: 1, get: (s: ResultsFile['strategies'][number]) => s.summary.ttftMs.p50 },
] as const;

export interface CacheRow {
  strategy: string;
  metric: string;
  value: number;
  lo?: number;
  hi?: number;
}

export function cacheRows(r: ResultsFile): CacheRow[] {
  return r.strategies.flatMap((s) =>
    s.summary.cachedTokenShare === undefined
      ? []
      : PANELS.map((p) => {
          const ci = ciOf(s, p.key);
          const row: CacheRow = { strategy: s.strategy, metric: p.label, value: (p.get(s) ?? 0) * p.scale };
          return ci ? { ...row, lo: ci.lo * p.scale, hi: ci.hi * p.scale } : row;
        }),
  );
}

export function cacheChart(r: ResultsFile, strategies: ColourScale): ChartSpec | null {
  const rows = cacheRows(r);
  if (rows.length === 0) return null;
  const oracle = r.strategies.find((s) => s.summary.oracleCachedTokenShare !== undefined)?.summary.oracleCachedTokenShare;
  const oracleText = oracle === undefined ? '' : ` · oracle placement (one cache with every endpoint's capacity): ${(100 * oracle).toFixed(1)} % cached`;
  const whiskers = rows.some((row) => row.lo !== undefined);
  return facetBarChart(rows, strategies, {
    id: 'prompt-cache',
    title: 'Prompt caching per strategy',
    subtitle: `cached share of input tokens, USD saved, TTFT p50${oracleText}${whiskers ? ' · whiskers: 95% CI' : ''}`,
    panels: PANELS.map((p) => p.label),
  });
}
