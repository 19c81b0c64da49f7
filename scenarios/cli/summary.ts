import type { ResultsFile, StrategyResult } from '../../reports/contract.js';
import { deadlineText } from '../../reports/deadline.js';
import { textTable } from '../../reports/text-table.js';

/**
 * The end-of-run summary table (plain text, stdout): one row per strategy with the
 * numbers a person compares first. SLO breaches are marked with "!" so the table can
 * be read without the report.
 */

const COLUMNS = ['strategy', 'ok %', 'goodput/s', 'p50 ms', 'p99 ms', 'p99.9 ms', '$/1k ok', 'failover s', 'quality'] as const;

function fmt(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  return n.toFixed(digits);
}

/** One row of cells for a strategy; `slo` marks breaches. */
export function summaryRow(r: StrategyResult, slo: ResultsFile['slo'] = {}, deadlineMs?: number): string[] {
  const s = r.summary;
  const ms = (v: number): string => deadlineText(v, s, deadlineMs, false) ?? fmt(v);
  const okPct = s.requests > 0 ? (100 * s.ok) / s.requests : 0;
  const errBreach = slo?.errorRate !== undefined && s.errorRate > slo.errorRate;
  const p99Breach = slo?.p99Ms !== undefined && s.latencyMs.p99 > slo.p99Ms;
  const costBreach = slo?.costPer1kOk !== undefined && s.costPer1kOk > slo.costPer1kOk;
  return [
    r.strategy,
    fmt(okPct, 2) + (errBreach ? '!' : ''),
    fmt(s.goodputRps, 1),
    ms(s.latencyMs.p50),
    ms(s.latencyMs.p99) + (p99Breach ? '!' : ''),
    ms(s.latencyMs.p999),
    fmt(s.costPer1kOk, 4) + (costBreach ? '!' : ''),
    fmt(s.failoverS, 1),
    s.qualityOk === undefined ? '-' : fmt(100 * s.qualityOk, 1) + '%',
  ];
}

/** Render the whole table; numbers right-aligned, strategy left-aligned. */
export function formatSummary(results: ResultsFile): string {
  const table = textTable(COLUMNS, results.strategies.map((r) => summaryRow(r, results.slo, results.deadlineMs)));
  const seeds = results.seeds;
  const multi = seeds !== undefined && seeds.length > 1;
  const head = multi
    ? `${results.scenario} (${results.mode}, means over ${seeds.length} seeds ${seeds[0]}..${seeds[seeds.length - 1]}, ${results.durationS} s)`
    : `${results.scenario} (${results.mode}, seed ${results.seed}, ${results.durationS} s)`;
  const slo = results.slo;
  const sloLine =
    slo && Object.keys(slo).length
      ? `SLO: ${[
          slo.p99Ms !== undefined ? `p99 <= ${slo.p99Ms} ms` : '',
          slo.errorRate !== undefined ? `error rate <= ${(100 * slo.errorRate).toFixed(2)}%` : '',
          slo.costPer1kOk !== undefined ? `$/1k ok <= ${slo.costPer1kOk}` : '',
        ]
          .filter(Boolean)
          .join(', ')}  ("!" = breached)${slo.p99Ms !== undefined ? `; goodput = ok requests within ${slo.p99Ms} ms per second` : ''}`
      : '';
  return [head, ...table, sloLine, ...cacheLines(results), ...responseCacheLines(results), ...routingLines(results), ...(multi ? ciLines(results) : [])].filter(Boolean).join('\n');
}

/** Scenarios with prompt prefixes: TTFT p50, cached-token share and USD saved per strategy, against the oracle's share. */
function cacheLines(results: ResultsFile): string[] {
  const withCache = results.strategies.filter((r) => r.summary.cachedTokenShare !== undefined);
  if (withCache.length === 0) return [];
  const width = Math.max(...withCache.map((r) => r.strategy.length));
  const oracle = withCache[0]!.summary.oracleCachedTokenShare;
  return [
    `prompt cache (oracle placement: ${fmt(oracle === undefined ? undefined : 100 * oracle, 1)}% of input tokens cached):`,
    ...withCache.map(
      (r) =>
        `  ${r.strategy.padEnd(width)}  TTFT p50 ${fmt(r.summary.ttftMs.p50 > 0 ? r.summary.ttftMs.p50 : undefined).padStart(5)} ms  cached ${fmt(100 * r.summary.cachedTokenShare!, 1).padStart(5)}%  ` +
        `saved $${fmt(r.summary.cacheSavingsUsd, 4)}`,
    ),
  ];
}

/** Strategies with a response cache (`+cache`): hits, their share of requests and the USD they saved. */
function responseCacheLines(results: ResultsFile): string[] {
  const withCache = results.strategies.filter((r) => r.summary.responseCacheHits !== undefined);
  if (withCache.length === 0) return [];
  const width = Math.max(...withCache.map((r) => r.strategy.length));
  return [
    'response cache (answers served without routing; saved = what those answers cost when first bought):',
    ...withCache.map(
      (r) =>
        `  ${r.strategy.padEnd(width)}  hits ${String(Math.round(r.summary.responseCacheHits!)).padStart(6)}  ` +
        `${fmt(100 * r.summary.responseCacheHitRate!, 1).padStart(5)}% of requests  saved $${fmt(r.summary.responseCacheSavedUsd, 4)}`,
    ),
  ];
}

/** Several seeds: the 95% intervals of the headline figures (every metric's is in results.json). */
function ciLines(results: ResultsFile): string[] {
  const range = (r: StrategyResult, key: string, scale: number, digits: number): string => {
    const ci = r.ci?.[key];
    // These metrics are never negative: a symmetric t interval reaching below 0 is shown from 0.
    return ci === undefined ? '-' : `${fmt(Math.max(0, ci.lo) * scale, digits)}..${fmt(ci.hi * scale, digits)}`;
  };
  const width = Math.max(...results.strategies.map((r) => r.strategy.length));
  return [
    '95% confidence intervals over the seeds (all metrics: results.json "ci"):',
    ...results.strategies.map(
      (r) =>
        `  ${r.strategy.padEnd(width)}  error rate ${range(r, 'errorRate', 100, 2)} %  p99 ${range(r, 'latencyMs.p99', 1, 0)} ms  ` +
        `$/1k ok ${range(r, 'costPer1kOk', 1, 4)}`,
    ),
  ];
}

/** Outcome replay: each strategy's quality against random routing at the same strong share (results' `routing`). */
function routingLines(results: ResultsFile): string[] {
  const rs = results.strategies.filter((r) => r.routing !== undefined);
  const b = rs[0]?.routing;
  if (!b) return [];
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  const w = Math.max(...rs.map((r) => r.strategy.length));
  return [
    `same requests: all-${b.weak} ${pct(b.qualityWeak)}, all-${b.strong} ${pct(b.qualityStrong)}, oracle ${pct(b.qualityOracle)}`,
    ...rs.map((r) => {
      const x = r.routing!;
      return `  ${r.strategy.padEnd(w)}  ${b.strong} share ${pct(x.strongShare).padStart(6)}  quality ${pct(x.quality).padStart(6)}  random at that share ${pct(x.qualityRandomAtShare).padStart(6)}  PGR ${x.pgr.toFixed(3)}`;
    }),
  ];
}
