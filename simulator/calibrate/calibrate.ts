import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { concurrency } from './fit-load.js';
import { fitProfile, type ProfileFit } from './fit-profile.js';
import { fitWorkload, type WorkloadFit } from './fit-workload.js';
import { split, validate, type HoldoutResult } from './holdout.js';
import { CalibrateError, type Observation, type ReadResult, type WorkloadRow } from './observations.js';
import { readLlmperf } from './read-llmperf.js';
import { readRouterLog } from './read-router-log.js';
import { readTable, type TableField } from './read-table.js';

/**
 * Calibration as a library call: read the files, fit one profile per endpoint (router
 * log) or per file (LLMPerf, tables), fit the workload, and validate each profile on a
 * held-out part. The CLI (cli.ts) prints and writes what this returns.
 */

export const FORMATS = ['router-log', 'llmperf', 'csv'] as const;
export type Format = (typeof FORMATS)[number];

export interface CalibrateOptions {
  format?: Format;
  /** Share of each group held out for validation (0 = fit on everything, no check). */
  holdout: number;
  seed: number;
  /** Allow a shifted (floored) lognormal TTFT (default true; --no-shift). */
  shift?: boolean;
  /** Largest lognormal mixture tried for TTFT and decode speed, chosen by BIC (default 3; 1 = none; --max-components). */
  maxComponents?: number;
  /** Holdout splits to count passes over (seeds seed, seed+1, …; default 1: the one split). */
  splits?: number;
  /** Column map for `csv` (read-table.ts). */
  map?: Partial<Record<TableField, string>>;
}

/** Pass counts of the holdout check over several seeded splits (each refitted on its own fit half). */
export interface SplitCounts {
  n: number;
  ttft: number;
  e2e: number;
  /** Passes of the fit half's own data (holdout.ts SplitReference) against the same critical value. */
  refTtft: number;
  refE2e: number;
}

export interface GroupResult {
  fit: ProfileFit;
  holdout: HoldoutResult | null;
  splits: SplitCounts | null;
  /** Files the group's data came from. */
  sources: string[];
}

export interface CalibrateResult {
  groups: GroupResult[];
  /** Groups that could not be fitted, with why. */
  refused: string[];
  workload: WorkloadFit;
  reads: ReadResult[];
}

/** The format from the content: router-log lines have `attempts`, LLMPerf records `ttft_s`. */
export function detectFormat(text: string, file: string): Format {
  if (/\.csv$/i.test(file)) return 'csv';
  const t = text.trimStart();
  if (t.startsWith('[')) return 'llmperf';
  const first = t.slice(0, t.indexOf('\n') === -1 ? undefined : t.indexOf('\n'));
  if (/"attempts"\s*:/.test(first)) return 'router-log';
  if (/"ttft_s"\s*:|"error_code"\s*:/.test(first)) return 'llmperf';
  throw new CalibrateError(`${file}: cannot tell the format (not a router access log, LLMPerf output or CSV); say --format ${FORMATS.join('|')}`);
}

export function readInput(file: string, opts: Pick<CalibrateOptions, 'format' | 'map'>): ReadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CalibrateError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (text.trim() === '') throw new CalibrateError(`${file}: empty file`);
  const format = opts.format ?? detectFormat(text, file);
  const r =
    format === 'router-log'
      ? readRouterLog(text, file)
      : format === 'llmperf'
        ? readLlmperf(text, file)
        : readTable(text, file, opts.map ?? {}, basename(file, extname(file)));
  const n = [...r.groups.values()].reduce((s, g) => s + g.length, 0);
  if (n === 0)
    throw new CalibrateError(
      `${file}: no usable ${format} records` + (r.skipped.count ? ` (${r.skipped.count} lines skipped, e.g. line ${r.skipped.first[0]!.line}: ${r.skipped.first[0]!.why})` : ''),
    );
  if (![...r.groups.values()].some((g) => g.some((o) => o.ok))) throw new CalibrateError(`${file}: no successful request among ${n} records: nothing to fit latencies to`);
  return r;
}

export function calibrate(files: readonly string[], opts: CalibrateOptions): CalibrateResult {
  if (files.length === 0) throw new CalibrateError('no input files');
  const reads = files.map((f) => readInput(f, opts));
  const byGroup = new Map<string, { obs: Observation[]; sources: string[] }>();
  const rows: WorkloadRow[] = [];
  for (const r of reads) {
    rows.push(...r.workload);
    for (const [g, obs] of r.groups) {
      let e = byGroup.get(g);
      if (e === undefined) byGroup.set(g, (e = { obs: [], sources: [] }));
      e.obs.push(...obs);
      e.sources.push(r.file);
    }
  }
  const groups: GroupResult[] = [];
  const refused: string[] = [];
  for (const [g, e] of byGroup) {
    const sources = e.sources;
    // Load is a property of the whole record (both halves were in flight together).
    const loads = concurrency(e.obs);
    const obs = e.obs.map((o, i) => ({ ...o, load: loads[i] }));
    const where = sources.map((s) => basename(s)).join(', ');
    try {
      if (opts.holdout > 0) {
        const { train, test } = split(obs, opts.holdout, opts.seed);
        const fit = fitProfile(g, train, where, opts);
        const holdout = validate(fit.profile, test, train, opts.seed);
        groups.push({ fit, holdout, sources, splits: (opts.splits ?? 1) > 1 ? countSplits(g, obs, where, opts, holdout) : null });
      } else groups.push({ fit: fitProfile(g, obs, where, opts), holdout: null, sources, splits: null });
    } catch (e) {
      if (!(e instanceof CalibrateError)) throw e;
      refused.push(e.message);
    }
  }
  return { groups, refused, workload: fitWorkload(rows), reads };
}

/** The holdout check repeated over `opts.splits` seeded splits (the first is `first`), counting passes. */
function countSplits(g: string, obs: readonly Observation[], where: string, opts: CalibrateOptions, first: HoldoutResult): SplitCounts {
  const c: SplitCounts = { n: 0, ttft: 0, e2e: 0, refTtft: 0, refE2e: 0 };
  const add = (h: HoldoutResult): void => {
    c.n++;
    if (h.ttft?.pass) c.ttft++;
    if (h.e2e?.pass) c.e2e++;
    // The same critical value as the profile's check, so the two counts compare.
    if (h.ttft && h.reference.ttft !== null && h.reference.ttft <= h.ttft.critical) c.refTtft++;
    if (h.e2e && h.reference.e2e !== null && h.reference.e2e <= h.e2e.critical) c.refE2e++;
  };
  add(first);
  for (let k = 1; k < (opts.splits ?? 1); k++) {
    const seed = opts.seed + k;
    const { train, test } = split(obs, opts.holdout, seed);
    add(validate(fitProfile(g, train, where, opts).profile, test, train, seed));
  }
  return c;
}
