import type { ResultsFile, StrategyResult } from './contract.js';
import { CI_KEYS, ciOf } from './data.js';
import { deadlineText } from './deadline.js';
import { strategyScale } from './palette.js';
import { textTable } from './text-table.js';

/**
 * The summary table: one row per strategy, as data (summaryRows), as HTML for the report
 * (tableHtml) and as aligned text for a terminal (tableText). A cell is marked best only when
 * the verdict (paired seeds, results.verdict) finds its strategy significantly better than every
 * other on that column's metric; values that break a scenario SLO are flagged. A percentile at
 * the total deadline reads "≥ 20,000 ms (N timeouts)".
 */

export interface Column {
  key: string;
  label: string;
  /** The metric's path (as in `ci` and the verdict), for marking a significantly best cell. */
  metric?: string;
}

export interface Cell {
  value: number | string | null;
  text: string;
  /** "± x" from the multi-seed 95% CI, when present. */
  ci?: string;
  sloBreach?: boolean;
  best?: boolean;
}

export interface SummaryTable {
  columns: Column[];
  rows: { strategy: string; cells: Cell[] }[];
}

const fmt = (v: number, digits: number): string => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const cell = (value: number | null, digits: number, empty = '—'): Cell => ({ value, text: value === null ? empty : fmt(value, digits) });

function withCi(c: Cell, s: StrategyResult, key: string, digits: number, scale = 1): Cell {
  const ci = ciOf(s, key);
  return ci ? { ...c, ci: `± ${fmt(((ci.hi - ci.lo) / 2) * scale, digits)}` } : c;
}

export function summaryRows(r: ResultsFile): SummaryTable {
  const hasRegret = r.strategies.some((s) => s.regret);
  const hasFaults = (r.faults?.length ?? 0) > 0;
  const columns: Column[] = [
    { key: 'requests', label: 'requests' },
    { key: 'okPct', label: 'ok %', metric: 'errorRate' },
    { key: 'goodput', label: 'goodput / s', metric: 'goodputRps' },
    { key: 'p50', label: 'p50 ms', metric: 'latencyMs.p50' },
    { key: 'p99', label: 'p99 ms', metric: 'latencyMs.p99' },
    { key: 'p999', label: 'p99.9 ms' },
    { key: 'cost', label: 'USD / 1k ok', metric: 'costPer1kOk' },
    { key: 'failover', label: 'failover s', metric: 'failoverS' },
    { key: 'recover', label: 'recover s' },
    { key: 'attempts', label: 'attempts / req', metric: 'attemptsPerRequest' },
  ];
  const hasQuality = r.strategies.some((s) => s.summary.qualityOk !== undefined);
  if (hasQuality) columns.push({ key: 'quality', label: 'quality ok %', metric: 'qualityOk' });
  // Prompt caching (scenarios with prefixes): TTFT p50, cached-token share and USD saved.
  const hasCache = r.strategies.some((s) => s.summary.cachedTokenShare !== undefined);
  if (hasCache)
    columns.push(
      { key: 'ttftP50', label: 'TTFT p50 ms', metric: 'ttftMs.p50' },
      { key: 'cached', label: 'cached tokens %', metric: 'cachedTokenShare' },
      { key: 'cacheSaved', label: 'cache saved USD', metric: 'cacheSavingsUsd' },
    );
  // Sim runs: spend on every upstream attempt, and the part of it the client got nothing from.
  const hasSpend = r.strategies.some((s) => s.summary.attemptCostPer1kOk !== undefined);
  if (hasSpend) columns.push({ key: 'attemptCost', label: 'USD / 1k ok, all attempts', metric: 'attemptCostPer1kOk' }, { key: 'wasted', label: 'wasted USD', metric: 'wastedUsd' });
  if (hasRegret)
    columns.push({ key: 'regretCost', label: 'regret USD' }, { key: 'regretP99', label: 'regret p99 ms' }, { key: 'regretErrors', label: 'regret errors' });
  // A null failover in a run with faults means the strategy never moved traffic away.
  const never = hasFaults ? 'never' : '—';
  const rows = r.strategies.map((s) => {
    const m = s.summary;
    const okPct = m.requests > 0 ? (100 * m.ok) / m.requests : null;
    // At the deadline a percentile is "≥ deadline (N timeouts)", with no interval.
    const ms = (v: number, key: string): Cell => {
      const text = deadlineText(v, m, r.deadlineMs);
      return text !== undefined ? { value: v, text } : withCi(cell(v, 0), s, key, 0);
    };
    const cells: Cell[] = [
      cell(m.requests, 0),
      withCi({ ...cell(okPct, 2), sloBreach: r.slo?.errorRate !== undefined && m.errorRate > r.slo.errorRate }, s, CI_KEYS.errorRate, 2, 100),
      withCi(cell(m.goodputRps ?? null, 1), s, 'goodputRps', 1),
      ms(m.latencyMs.p50, CI_KEYS.p50),
      { ...ms(m.latencyMs.p99, CI_KEYS.p99), sloBreach: r.slo?.p99Ms !== undefined && m.latencyMs.p99 > r.slo.p99Ms },
      ms(m.latencyMs.p999, CI_KEYS.p999),
      withCi({ ...cell(m.costPer1kOk, 4), sloBreach: r.slo?.costPer1kOk !== undefined && m.costPer1kOk > r.slo.costPer1kOk }, s, CI_KEYS.costPer1kOk, 4),
      withCi(cell(m.failoverS, 1, never), s, CI_KEYS.failoverS, 1),
      cell(m.recoverS, 1, hasFaults ? 'never' : '—'),
      cell(m.attemptsPerRequest, 2),
    ];
    if (hasQuality) cells.push(cell(m.qualityOk === undefined ? null : 100 * m.qualityOk, 1));
    if (hasCache)
      cells.push(
        // TTFT p50 is 0 when no streamed answer succeeded (contract.ts): shown as none.
        withCi(cell(m.ttftMs.p50 > 0 ? m.ttftMs.p50 : null, 0), s, CI_KEYS.ttftP50, 0),
        withCi(cell(m.cachedTokenShare === undefined ? null : 100 * m.cachedTokenShare, 1), s, CI_KEYS.cachedTokenShare, 1, 100),
        withCi(cell(m.cacheSavingsUsd ?? null, 4), s, CI_KEYS.cacheSavingsUsd, 4),
      );
    if (hasSpend) cells.push(withCi(cell(m.attemptCostPer1kOk ?? null, 4), s, 'attemptCostPer1kOk', 4), cell(m.wastedUsd ?? null, 4));
    if (hasRegret)
      cells.push(cell(s.regret?.costUsd ?? null, 4), cell(s.regret?.p99Ms ?? null, 0), cell(s.regret?.errors ?? null, 0));
    return { strategy: s.strategy, cells };
  });
  markBest(r, columns, rows);
  return { columns, rows };
}

/** Mark a cell best only where the verdict names its strategy significantly better than every other on that metric. */
function markBest(r: ResultsFile, columns: Column[], rows: SummaryTable['rows']): void {
  columns.forEach((col, i) => {
    const winner = r.verdict?.metrics.find((m) => m.metric === col.metric)?.winner;
    if (winner === undefined || winner === null) return;
    for (const row of rows) if (row.strategy === winner) row.cells[i]!.best = true;
  });
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function tableHtml(r: ResultsFile): string {
  const t = summaryRows(r);
  const colours = strategyScale(r.strategies.map((s) => s.strategy));
  const head = ['strategy', ...t.columns.map((c) => c.label)].map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = t.rows
    .map((row, i) => {
      const swatch = `<span class="swatch" style="background:${colours.range[i]}"></span>`;
      const tds = row.cells.map((c) => {
        const cls = [c.best ? 'best' : '', c.sloBreach ? 'breach' : ''].filter(Boolean).join(' ');
        const ci = c.ci ? ` <span class="ci">${escapeHtml(c.ci)}</span>` : '';
        const title = c.sloBreach ? ' title="breaks the scenario SLO"' : '';
        return `<td${cls ? ` class="${cls}"` : ''}${title}>${escapeHtml(c.text)}${ci}</td>`;
      });
      return `<tr><th scope="row">${swatch}${escapeHtml(row.strategy)}</th>${tds.join('')}</tr>`;
    })
    .join('\n');
  return `<table class="summary">\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** Fixed-width text table for terminals (best cells marked with *, SLO breaches with !). */
export function tableText(r: ResultsFile): string {
  const t = summaryRows(r);
  const header = ['strategy', ...t.columns.map((c) => c.label)];
  const lines = t.rows.map((row) => [row.strategy, ...row.cells.map((c) => `${c.text}${c.sloBreach ? '!' : ''}${c.best ? '*' : ''}`)]);
  return textTable(header, lines).join('\n');
}
