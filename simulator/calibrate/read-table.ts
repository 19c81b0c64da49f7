import { parse } from 'csv-parse/sync';
import { addObservation, CalibrateError, emptyResult, kindOfStatus, skip, type ReadResult } from './observations.js';

/**
 * A generic table of per-request measurements: CSV with a header row, or JSON lines.
 * `--map field=column,...` says which column holds which field; unmapped fields are
 * looked up under their own name. Fields:
 *
 *   time           arrival: ISO 8601, or epoch ms (optional; enables arrivals and bursts)
 *   group          endpoint/provider name (optional; default: the file's name)
 *   ttft_ms | ttft_s, e2e_ms | e2e_s    latencies (one unit each)
 *   input_tokens, output_tokens, stream (true/false/1/0)
 *   status         HTTP status (optional; absent or 2xx = success; another 4xx than 429 is
 *                  the request's own fault and is left out, counted as ignored)
 *   retry_after_ms (optional)
 */

export const TABLE_FIELDS = ['time', 'group', 'ttft_ms', 'ttft_s', 'e2e_ms', 'e2e_s', 'input_tokens', 'output_tokens', 'stream', 'status', 'retry_after_ms'] as const;
export type TableField = (typeof TABLE_FIELDS)[number];

/** `ttft_ms=TTFT,e2e_s=latency` → a field → column map; bad entries name themselves. */
export function parseColumnMap(spec: string | undefined): Partial<Record<TableField, string>> {
  const out: Partial<Record<TableField, string>> = {};
  if (spec === undefined || spec === '') return out;
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    const field = part.slice(0, eq).trim() as TableField;
    const col = part.slice(eq + 1).trim();
    if (eq <= 0 || col === '') throw new CalibrateError(`--map: expected field=column, got "${part}"`);
    if (!TABLE_FIELDS.includes(field)) throw new CalibrateError(`--map: unknown field "${field}"; fields: ${TABLE_FIELDS.join(', ')}`);
    out[field] = col;
  }
  return out;
}

type Row = Record<string, unknown>;

function records(text: string, file: string, csv: boolean): Array<{ line: number; row: Row | null }> {
  if (!csv) {
    return text.split('\n').flatMap((l, i) => {
      if (l.trim() === '') return [];
      try {
        const v = JSON.parse(l) as unknown;
        return [{ line: i + 1, row: typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Row) : null }];
      } catch {
        return [{ line: i + 1, row: null }];
      }
    });
  }
  try {
    const rows = parse(text, { columns: true, skip_empty_lines: true, relax_column_count: true, trim: true, info: true }) as Array<{ record: Row; info: { lines: number } }>;
    return rows.map((r) => ({ line: r.info.lines, row: r.record }));
  } catch (e) {
    throw new CalibrateError(`${file}: not a CSV file with a header row (${(e as Error).message})`);
  }
}

const number = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : null;
};

function time(v: unknown): number | null {
  const n = number(v);
  if (n !== null) return n;
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isFinite(t) ? t : null;
}

export function readTable(text: string, file: string, map: Partial<Record<TableField, string>>, defaultGroup: string): ReadResult {
  const r = emptyResult(file);
  const csv = /\.csv$/i.test(file);
  const col = (f: TableField): string => map[f] ?? f;
  for (const { line, row } of records(text, file, csv)) {
    if (row === null) {
      skip(r.skipped, line, csv ? 'unreadable row' : 'not a JSON object');
      continue;
    }
    const get = (f: TableField): unknown => row[col(f)];
    const ttft = number(get('ttft_ms')) ?? (number(get('ttft_s')) ?? NaN) * 1000;
    const e2e = number(get('e2e_ms')) ?? (number(get('e2e_s')) ?? NaN) * 1000;
    const status = number(get('status'));
    const ok = status === null || (status >= 200 && status < 300);
    if (status !== null && status >= 400 && status < 500 && status !== 429) {
      r.ignored++;
      continue;
    }
    if (ok && !Number.isFinite(ttft) && !Number.isFinite(e2e)) {
      skip(r.skipped, line, `no latency (columns ${col('ttft_ms')}/${col('ttft_s')}, ${col('e2e_ms')}/${col('e2e_s')})`);
      continue;
    }
    const t = get('time') === undefined ? null : time(get('time'));
    if (get('time') !== undefined && t === null) {
      skip(r.skipped, line, `${col('time')}: not an ISO date or epoch ms`);
      continue;
    }
    const s = get('stream');
    const stream = s === true || s === 'true' || s === '1' || s === 1 ? true : s === false || s === 'false' || s === '0' || s === 0 ? false : null;
    const group = typeof get('group') === 'string' && get('group') !== '' ? (get('group') as string) : defaultGroup;
    const inputTokens = number(get('input_tokens'));
    const outputTokens = number(get('output_tokens'));
    addObservation(r, group, {
      line,
      startMs: t,
      ok,
      kind: ok ? null : (kindOfStatus(status!) ?? 'http_500'),
      ttftMs: ok && Number.isFinite(ttft) ? ttft : null,
      e2eMs: ok && Number.isFinite(e2e) ? e2e : null,
      inputTokens,
      outputTokens: ok ? outputTokens : null,
      retryAfterMs: number(get('retry_after_ms')),
    });
    r.workload.push({ arrivalMs: t, inputTokens, outputTokens: ok ? outputTokens : null, stream });
  }
  return r;
}
