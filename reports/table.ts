import type { ResultsFile, StrategyResult } from './contract.js';
import { CI_KEYS, ciOf } from './data.js';
import { strategyScale } from './palette.js';

/**
 * The summary table: one row per strategy, as data (summaryRows), as HTML for the report
 * (tableHtml) and as aligned text for a terminal (tableText). Best value per column is marked;
 * values that break a scenario SLO are flagged.
 */

export interface Column {
  key: string;
  label: string;
  /** Which direction is better, for marking the best cell; undefined = not ranked. */
  better?: 'min' | 'max';
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
    { key: 'okPct', label: 'ok %', better: 'max' },
    { key: 'p50', label: 'p50 ms', better: 'min' },
    { key: 'p99', label: 'p99 ms', better: 'min' },
    { key: 'p999', label: 'p99.9 ms', better: 'min' },
    { key: 'cost', label: 'USD / 1k ok', better: 'min' },
    { key: 'failover', label: 'failover s', better: 'min' },
    { key: 'recover', label: 'recover s', better: 'min' },
    { key: 'attempts', label: 'attempts / req', better: 'min' },
  ];
  const hasQuality = r.strategies.some((s) => s.summary.qualityOk !== undefined);
  if (hasQuality) columns.push({ key: 'quality', label: 'quality ok %', better: 'max' });
  // Prompt caching (scenarios with prefixes): TTFT p50, cached-token share and USD saved.
  const hasCache = r.strategies.some((s) => s.summary.cachedTokenShare !== undefined);
  if (hasCache)
    columns.push(
      { key: 'ttftP50', label: 'TTFT p50 ms', better: 'min' },
      { key: 'cached', label: 'cached tokens %', better: 'max' },
      { key: 'cacheSaved', label: 'cache saved USD', better: 'max' },
    );
  // Sim runs: spend on every upstream attempt, and the part of it the client got nothing from.
  const hasSpend = r.strategies.some((s) => s.summary.attemptCostPer1kOk !== undefined);
  if (hasSpend) columns.push({ key: 'attemptCost', label: 'USD / 1k ok, all attempts', better: 'min' }, { key: 'wasted', label: 'wasted USD', better: 'min' });
  if (hasRegret)
    columns.push(
      { key: 'regretCost', label: 'regret USD', better: 'min' },
      { key: 'regretP99', label: 'regret p99 ms', better: 'min' },
      { key: 'regretErrors', label: 'regret errors', better: 'min' },
    );
  // A null failover in a run with faults means the strategy never moved traffic away.
  const never = hasFaults ? 'never' : '—';
  const rows = r.strategies.map((s) => {
    const m = s.summary;
    const okPct = m.requests > 0 ? (100 * m.ok) / m.requests : null;
    const cells: Cell[] = [
      cell(m.requests, 0),
      withCi({ ...cell(okPct, 2), sloBreach: r.slo?.errorRate !== undefined && m.errorRate > r.slo.errorRate }, s, CI_KEYS.errorRate, 2, 100),
      withCi(cell(m.latencyMs.p50, 0), s, CI_KEYS.p50, 0),
      withCi({ ...cell(m.latencyMs.p99, 0), sloBreach: r.slo?.p99Ms !== undefined && m.latencyMs.p99 > r.slo.p99Ms }, s, CI_KEYS.p99, 0),
      withCi(cell(m.latencyMs.p999, 0), s, CI_KEYS.p999, 0),
      withCi({ ...cell(m.costPer1kOk, 4), sloBreach: r.slo?.costPer1kOk !== undefined && m.costPer1kOk > r.slo.costPer1kOk }, s, CI_KEYS.costPer1kOk, 4),
      withCi(cell(m.failoverS, 1, never), s, CI_KEYS.failoverS, 1),
      cell(m.recoverS, 1, hasFaults ? 'never' : '—'),
      cell(m.attemptsPerRequest, 2),
    ];
    if (hasQuality) cells.push(cell(m.qualityOk === undefined ? null : 100 * m.qualityOk, 1));
    if (hasCache)
      cells.push(
        withCi(cell(m.ttftMs.p50, 0), s, CI_KEYS.ttftP50, 0),
        withCi(cell(m.cachedTokenShare === undefined ? null : 100 * m.cachedTokenShare, 1), s, CI_KEYS.cachedTokenShare, 1, 100),
        withCi(cell(m.cacheSavingsUsd ?? null, 4), s, CI_KEYS.cacheSavingsUsd, 4),
      );
    if (hasSpend) cells.push(withCi(cell(m.attemptCostPer1kOk ?? null, 4), s, 'attemptCostPer1kOk', 4), cell(m.wastedUsd ?? null, 4));
    if (hasRegret)
      cells.push(cell(s.regret?.costUsd ?? null, 4), cell(s.regret?.p99Ms ?? null, 0), cell(s.regret?.errors ?? null, 0));
    return { strategy: s.strategy, cells };
  });
  markBest(columns, rows);
  return { columns, rows };
}

/** Mark the best numeric cell of each ranked column (ties all win); needs two or more rows to mean anything. */
function markBest(columns: Column[], rows: SummaryTable['rows']): void {
  if (rows.length < 2) return;
  columns.forEach((col, i) => {
    if (!col.better) return;
    const vals = rows.map((r) => r.cells[i]!.value).filter((v): v is number => typeof v === 'number');
    if (vals.length === 0) return;
    const best = col.better === 'min' ? Math.min(...vals) : Math.max(...vals);
    for (const r of rows) if (r.cells[i]!.value === best) r.cells[i]!.best = true;
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
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmtLine = (l: string[]): string => l.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
  return [fmtLine(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(fmtLine)].join('\n');
}
