import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { calibrate, FORMATS, type CalibrateOptions, type CalibrateResult, type Format } from './calibrate.js';
import { MAX_COMPONENTS } from './fit-profile.js';
import { CalibrateError } from './observations.js';
import { parseColumnMap } from './read-table.js';
import { writeCalibrationReport } from './report.js';
import { fitLines, profileYaml, splitLines, scenarioYaml, workloadLines, workloadYaml } from './summary.js';

/**
 * `npm run calibrate -- <files…> [--format router-log|llmperf|csv] [--holdout 0.5]
 *  [--map field=column,...] [--seed N] [--profiles <dir>] [--no-shift] [--max-components K]
 *  [--splits N] [--no-report] --out <dir>`
 *
 * --max-components K: largest lognormal mixture tried for TTFT and decode speed (BIC picks;
 * 1 = none). --splits N: repeat the holdout check on N seeded splits and count passes.
 *
 * Writes to --out: scenario.yaml (the fitted world, ready to run), profiles/<id>.yaml (or --profiles <dir>; one per endpoint or file, header = provenance and
 * fit quality), workload.yaml (+ workload-trace.jsonl where arrivals have timestamps),
 * calibration.json (every number printed) and calibration.html with QQ/ECDF charts.
 *
 * Exit codes: 0 fitted; 2 bad input (unknown flag or format, unreadable or empty file, no
 * successful request, every group below the minimum sample size).
 */

export const CALIBRATE_USAGE = `usage: npm run calibrate -- <files…> --out <dir> [--format ${FORMATS.join('|')}] [--holdout 0.5]
         [--map field=column,...] [--seed N] [--profiles DIR] [--no-shift] [--max-components K] [--splits N] [--no-report] [--quiet]`;

export interface CalibrateArgs extends CalibrateOptions {
  files: string[];
  out: string;
  /** Where profile YAMLs go (default <out>/profiles). */
  profiles: string | undefined;
  report: boolean;
  quiet: boolean;
}

const OPTIONS = {
  format: { type: 'string' },
  holdout: { type: 'string' },
  map: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  profiles: { type: 'string' },
  'no-report': { type: 'boolean' },
  'no-shift': { type: 'boolean' },
  'max-components': { type: 'string' },
  splits: { type: 'string' },
  quiet: { type: 'boolean' },
} as const;

export function parseCalibrateArgs(argv: readonly string[]): CalibrateArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
  } catch (e) {
    throw new CalibrateError(`${(e as Error).message}\n${CALIBRATE_USAGE}`);
  }
  const v = parsed.values;
  if (parsed.positionals.length === 0) throw new CalibrateError(`no input files\n${CALIBRATE_USAGE}`);
  if (!v.out) throw new CalibrateError(`--out is required\n${CALIBRATE_USAGE}`);
  if (v.format !== undefined && !FORMATS.includes(v.format as Format))
    throw new CalibrateError(`--format: unknown format "${v.format}"; formats: ${FORMATS.join(', ')}`);
  const holdout = v.holdout === undefined ? 0.5 : Number(v.holdout);
  if (!(holdout >= 0 && holdout < 1) || v.holdout?.trim() === '') throw new CalibrateError(`--holdout: expected a share in [0, 1), got "${v.holdout}"`);
  const seed = v.seed === undefined ? 1 : Number(v.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new CalibrateError(`--seed: expected a non-negative integer, got "${v.seed}"`);
  const maxComponents = v['max-components'] === undefined ? MAX_COMPONENTS : Number(v['max-components']);
  if (!Number.isInteger(maxComponents) || maxComponents < 1 || maxComponents > 8)
    throw new CalibrateError(`--max-components: expected an integer in 1..8, got "${v['max-components']}"`);
  const splits = v.splits === undefined ? 1 : Number(v.splits);
  if (!Number.isInteger(splits) || splits < 1 || splits > 100) throw new CalibrateError(`--splits: expected an integer in 1..100, got "${v.splits}"`);
  return {
    files: parsed.positionals,
    out: v.out,
    profiles: v.profiles,
    format: v.format as Format | undefined,
    holdout,
    seed,
    map: parseColumnMap(v.map),
    report: !v['no-report'],
    shift: !v['no-shift'],
    maxComponents,
    splits,
    quiet: v.quiet === true,
  };
}

/** Every number of the run, without the raw samples. */
function toJson(r: CalibrateResult, args: CalibrateArgs): unknown {
  const strip = <T extends object>(o: T | null, keys: string[]): unknown =>
    o === null ? null : Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
  return {
    inputs: r.reads.map((x) => ({ file: x.file, skipped: x.skipped, ignoredAttempts: x.ignored })),
    holdout: args.holdout,
    seed: args.seed,
    groups: r.groups.map((g) => ({
      group: g.fit.group,
      sources: g.sources,
      profile: g.fit.profile,
      distributions: g.fit.dists.map((d) => strip(d, ['sample'])),
      errors: g.fit.errors,
      bursty: g.fit.bursty,
      load: g.fit.load,
      retryAfterMs: g.fit.retryAfterMs,
      warnings: g.fit.warnings,
      splits: g.splits,
      holdout: g.holdout && { ...g.holdout, ttft: strip(g.holdout.ttft, ['heldOut', 'simulated']), e2e: strip(g.holdout.e2e, ['heldOut', 'simulated']) },
    })),
    refused: r.refused,
    workload: { ...r.workload, trace: undefined },
  };
}

export async function runCalibrate(args: CalibrateArgs, print: (s: string) => void): Promise<CalibrateResult> {
  const r = calibrate(args.files, args);
  for (const x of r.reads) {
    if (x.skipped.count > 0)
      print(`${x.file}: skipped ${x.skipped.count} line(s): ${x.skipped.first.map((s) => `line ${s.line}: ${s.why}`).join('; ')}${x.skipped.count > x.skipped.first.length ? '; ...' : ''}`);
  }
  for (const m of r.refused) print(`refused: ${m}`);
  if (r.groups.length === 0) throw new CalibrateError(`nothing could be fitted:\n${r.refused.join('\n')}`);
  const out = resolve(args.out);
  const profilesDir = resolve(args.profiles ?? join(out, 'profiles'));
  mkdirSync(out, { recursive: true });
  mkdirSync(profilesDir, { recursive: true });
  const text: string[] = [];
  const written: Array<{ id: string; path: string }> = [];
  for (const g of r.groups) {
    text.push(...fitLines(g.fit, g.holdout), ...splitLines(g.splits));
    const provenance = g.sources.map((s) => relative(process.cwd(), resolve(s)) || basename(s)).join(', ');
    const file = join(profilesDir, `${basename(g.fit.profile.id)}.yaml`);
    writeFileSync(file, profileYaml(g.fit, g.holdout, provenance, g.splits));
    const rel = relative(out, file);
    written.push({ id: g.fit.profile.id, path: rel.startsWith('.') ? rel : `./${rel}` });
  }
  text.push(...workloadLines(r.workload));
  let traceFile: string | null = null;
  if (r.workload.trace !== null) {
    traceFile = './workload-trace.jsonl';
    writeFileSync(join(out, 'workload-trace.jsonl'), r.workload.trace);
  }
  writeFileSync(join(out, 'workload.yaml'), workloadYaml(r.workload, traceFile));
  writeFileSync(join(out, 'scenario.yaml'), scenarioYaml(written, r.workload, traceFile));
  writeFileSync(join(out, 'calibration.json'), `${JSON.stringify(toJson(r, args), null, 2)}\n`);
  const summary = text.join('\n');
  print(summary);
  if (args.report) await writeCalibrationReport(out, r.groups, summary);
  const shown = relative(process.cwd(), profilesDir);
  print(`wrote ${r.groups.length} profile(s) to ${shown.startsWith('..') ? profilesDir : shown || '.'}/; ${out}/: scenario.yaml, workload.yaml${traceFile ? ', workload-trace.jsonl' : ''}, calibration.json${args.report ? ', calibration.html' : ''}`);
  return r;
}

async function main(): Promise<number> {
  let args: CalibrateArgs;
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(CALIBRATE_USAGE);
    return 0;
  }
  try {
    args = parseCalibrateArgs(argv);
    await runCalibrate(args, (s) => (args.quiet ? undefined : console.log(s)));
    return 0;
  } catch (e) {
    if (e instanceof CalibrateError) {
      console.error(e.message);
      return 2;
    }
    console.error(`calibrate failed: ${(e as Error).stack ?? String(e)}`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  void main().then((code) => (process.exitCode = code));
}
