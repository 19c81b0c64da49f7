import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Trace replay input: arrival times and token counts from a real (or published synthetic)
 * LLM serving trace, parsed once into typed arrays (8,819 Azure rows = ~140 KB) so a
 * replay allocates nothing per row. Two public formats (see data/traces/SOURCE.md):
 *
 *   azure    CSV  `TIMESTAMP,ContextTokens,GeneratedTokens`, TIMESTAMP = `YYYY-MM-DD HH:MM:SS.fffffff` (UTC)
 *   mooncake JSONL `{"timestamp": <ms since start>, "input_length": n, "output_length": n, "hash_ids": [..]}`
 *            (`hash_ids`: the 512-token prefix blocks' hashes, kept for prefix-cache replay;
 *            optional per row, but when present a list of non-negative integers)
 *   router-log JSONL, the proxy's access log (router/http/access-log.ts): `time` (ISO),
 *            `tokens_in`, `tokens_out`; told from mooncake by its content (`"attempts"`).
 *            A partial last line (the proxy was writing) is left out.
 *
 * Arrival times are made relative to the first row. A malformed row is an error that
 * names the file and the 1-based line, before anything runs.
 */

export type TraceFormat = 'azure' | 'mooncake' | 'router-log';

export interface Trace {
  readonly file: string;
  readonly format: TraceFormat;
  readonly count: number;
  /** ms since the first row, non-decreasing. */
  readonly arrivalMs: Float64Array;
  readonly inputTokens: Int32Array;
  readonly outputTokens: Int32Array;
  /**
   * Prefix blocks (mooncake `hash_ids`): row i's are prefixIds[prefixStart[i] .. prefixStart[i+1]);
   * a row without hash_ids has none. Absent for formats without prefixes.
   */
  readonly prefixStart?: Int32Array;
  readonly prefixIds?: Int32Array;
  /** 1-based line of the first row without hash_ids (prefix replay refuses such a trace). */
  readonly missingPrefixLine?: number;
}

/** The traces shipped in data/traces, relative to the repository root. */
export const TRACE_FILES = {
  azureCode: 'data/traces/AzureLLMInferenceTrace_code_2023.csv',
  mooncake: 'data/traces/mooncake_synthetic_trace.jsonl',
} as const;

/** The repository root, seen from simulator/ (source) or dist/simulator/ (build). */
export function repoRoot(): string {
  return fileURLToPath(new URL('..', import.meta.url));
}

/** Format from the file extension: .csv → azure, .jsonl/.json → mooncake. */
export function formatOf(file: string): TraceFormat {
  if (/\.csv$/i.test(file)) return 'azure';
  if (/\.jsonl?$/i.test(file)) return 'mooncake';
  throw new Error(`${file}: cannot tell the trace format from the extension; say format: azure (CSV) or mooncake (JSONL)`);
}

/** formatOf, refined by content: JSON lines with `"attempts"` are the proxy's access log. */
export function sniffFormat(file: string, text: string): TraceFormat {
  const fmt = formatOf(file);
  if (fmt !== 'mooncake') return fmt;
  const first = text.slice(0, 64 * 1024).split('\n').find((l) => l.trim() !== '') ?? '';
  return /"attempts"\s*:/.test(first) ? 'router-log' : fmt;
}

function tokenCount(raw: unknown, file: string, line: number, field: string): number {
  const n = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0x7fffffff)
    throw new Error(`${file}:${line}: ${field} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

const AZURE_TS = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/;

/** `2023-11-16 18:17:03.9799600` → ms since the epoch (UTC), keeping sub-ms digits. */
function azureTime(raw: string, file: string, line: number): number {
  const m = AZURE_TS.exec(raw.trim());
  if (!m) throw new Error(`${file}:${line}: TIMESTAMP must look like "2023-11-16 18:17:03.9799600", got ${JSON.stringify(raw)}`);
  const [, y, mo, d, h, mi, s, frac] = m;
  const whole = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!);
  // Date.UTC rolls over (month 13, day 45, hour 99 are accepted): a real time round-trips.
  const t = new Date(whole);
  if (
    t.getUTCFullYear() !== +y! ||
    t.getUTCMonth() !== +mo! - 1 ||
    t.getUTCDate() !== +d! ||
    t.getUTCHours() !== +h! ||
    t.getUTCMinutes() !== +mi! ||
    t.getUTCSeconds() !== +s!
  )
    throw new Error(`${file}:${line}: TIMESTAMP is not a valid date and time (month 01-12, day of that month, 00:00:00-23:59:59), got ${JSON.stringify(raw)}`);
  return whole + (frac ? Number(`0.${frac}`) * 1000 : 0);
}

interface Rows {
  t: number[];
  inp: number[];
  out: number[];
  /** mooncake: each row's hash_ids (null when the row has none). */
  ids?: Array<number[] | null>;
  missingLine?: number;
}

/** A row's `hash_ids`: a list of non-negative integers, or null when the row has none. */
function hashIds(v: unknown, file: string, line: number): number[] | null {
  if (v === undefined) return null;
  if (!Array.isArray(v)) throw new Error(`${file}:${line}: hash_ids must be a list of non-negative integers (prefix-block hashes), got ${JSON.stringify(v)}`);
  for (let k = 0; k < v.length; k++) {
    const x: unknown = v[k];
    if (!(typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0x7fffffff))
      throw new Error(`${file}:${line}: hash_ids[${k}] must be a non-negative integer below 2^31, got ${JSON.stringify(x)}`);
  }
  return v as number[];
}

function parseAzure(text: string, file: string, rows: Rows): void {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').trim();
  if (header.replace(/\s/g, '') !== 'TIMESTAMP,ContextTokens,GeneratedTokens')
    throw new Error(`${file}:1: expected the header "TIMESTAMP,ContextTokens,GeneratedTokens", got ${JSON.stringify(header)}`);
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() === '') continue;
    const f = l.split(',');
    if (f.length !== 3) throw new Error(`${file}:${i + 1}: expected 3 comma-separated fields, got ${f.length}: ${JSON.stringify(l)}`);
    rows.t.push(azureTime(f[0]!, file, i + 1));
    rows.inp.push(tokenCount(f[1], file, i + 1, 'ContextTokens'));
    rows.out.push(tokenCount(f[2], file, i + 1, 'GeneratedTokens'));
  }
}

/**
 * The JSON objects of a JSON-lines text with their 1-based line numbers; a bad line is an
 * error naming file:line, except a cut-short last line when `partialLast` (a log being written).
 */
function jsonLines(text: string, file: string, partialLast: boolean): Array<[number, Record<string, unknown>]> {
  const lines = text.split('\n');
  let last = lines.length - 1;
  while (last >= 0 && lines[last]!.trim() === '') last--;
  const out: Array<[number, Record<string, unknown>]> = [];
  for (let i = 0; i <= last; i++) {
    const l = lines[i]!;
    if (l.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch (e) {
      if (partialLast && i === last) break;
      throw new Error(`${file}:${i + 1}: invalid JSON (${(e as Error).message})`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${file}:${i + 1}: expected a JSON object`);
    out.push([i + 1, v as Record<string, unknown>]);
  }
  return out;
}

function parseMooncake(text: string, file: string, rows: Rows): void {
  for (const [line, o] of jsonLines(text, file, false)) {
    const t = o.timestamp;
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0)
      throw new Error(`${file}:${line}: timestamp must be a non-negative number of ms, got ${JSON.stringify(t)}`);
    rows.t.push(t);
    rows.inp.push(tokenCount(o.input_length, file, line, 'input_length'));
    rows.out.push(tokenCount(o.output_length, file, line, 'output_length'));
    const ids = hashIds(o.hash_ids, file, line);
    if (ids === null) rows.missingLine ??= line;
    (rows.ids ??= []).push(ids);
  }
}

function parseRouterLog(text: string, file: string, rows: Rows): void {
  for (const [line, o] of jsonLines(text, file, true)) {
    const t = typeof o.time === 'string' ? Date.parse(o.time) : NaN;
    if (!Number.isFinite(t)) throw new Error(`${file}:${line}: time must be an ISO date (an access-log line), got ${JSON.stringify(o.time)}`);
    rows.t.push(t);
    rows.inp.push(tokenCount(o.tokens_in, file, line, 'tokens_in'));
    rows.out.push(tokenCount(o.tokens_out, file, line, 'tokens_out'));
  }
}

/** Flatten the rows' hash_ids in `order` into (start offsets, ids). */
function flattenIds(ids: ReadonlyArray<number[] | null>, order: readonly number[]): { prefixStart: Int32Array; prefixIds: Int32Array } {
  let total = 0;
  for (const r of ids) total += r?.length ?? 0;
  const prefixStart = new Int32Array(order.length + 1);
  const prefixIds = new Int32Array(total);
  let at = 0;
  order.forEach((j, i) => {
    prefixStart[i] = at;
    const r = ids[j];
    if (r) {
      prefixIds.set(r, at);
      at += r.length;
    }
  });
  prefixStart[order.length] = at;
  return { prefixStart, prefixIds };
}

/** Parse trace text; `file` is only used in error messages. */
export function parseTrace(text: string, file: string, format: TraceFormat = formatOf(file)): Trace {
  const rows: Rows = { t: [], inp: [], out: [] };
  if (format === 'azure') parseAzure(text, file, rows);
  else if (format === 'mooncake') parseMooncake(text, file, rows);
  else if (format === 'router-log') parseRouterLog(text, file, rows);
  else throw new Error(`${file}: unknown trace format "${String(format)}" (azure, mooncake or router-log)`);
  const n = rows.t.length;
  if (n === 0) throw new Error(`${file}: the trace has no rows`);
  // Stable sort by time (the shipped traces are already sorted; others may not be).
  const order = Array.from({ length: n }, (_, i) => i);
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) if (rows.t[i]! < rows.t[i - 1]!) sorted = false;
  if (!sorted) order.sort((a, b) => rows.t[a]! - rows.t[b]! || a - b);
  const t0 = rows.t[order[0]!]!;
  const arrivalMs = new Float64Array(n);
  const inputTokens = new Int32Array(n);
  const outputTokens = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = order[i]!;
    arrivalMs[i] = rows.t[j]! - t0;
    inputTokens[i] = rows.inp[j]!;
    outputTokens[i] = rows.out[j]!;
  }
  const base = { file, format, count: n, arrivalMs, inputTokens, outputTokens };
  if (rows.ids === undefined) return base;
  return { ...base, ...flattenIds(rows.ids, order), ...(rows.missingLine !== undefined ? { missingPrefixLine: rows.missingLine } : {}) };
}

const cache = new Map<string, Trace>();

/** Read and parse a trace file (relative paths are relative to the repository root). Cached. */
export function loadTrace(file: string, format?: TraceFormat, root = repoRoot()): Trace {
  const path = isAbsolute(file) ? file : resolve(root, file);
  if (format === undefined) formatOf(file); // an unknown extension fails before the read
  const key = `${format ?? 'auto'}\u0000${path}`;
  let trace = cache.get(key);
  if (!trace) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(`${file}: cannot read the trace file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    trace = parseTrace(text, file, format ?? sniffFormat(file, text));
    cache.set(key, trace);
  }
  return trace;
}

/** Sums for checks: request count and token totals. */
export function traceTotals(t: Trace): { count: number; inputTokens: number; outputTokens: number } {
  let inp = 0;
  let out = 0;
  for (let i = 0; i < t.count; i++) {
    inp += t.inputTokens[i]!;
    out += t.outputTokens[i]!;
  }
  return { count: t.count, inputTokens: inp, outputTokens: out };
}
