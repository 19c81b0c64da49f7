import { parseArgs } from 'node:util';
import { OBJECTIVES, type ObjectiveName } from './objective.js';
import { TuneInputError } from './space.js';
import { MAX_DURATION_S } from '../../simulator/types.js';
import type { TuneOptions } from './tune.js';

/**
 * Command line of `npm run tune <scenario> -- [...]`. Strict: an unknown flag or a bad
 * value is a TuneInputError (exit 2) naming the flag.
 */

export const TUNE_USAGE = `usage: npm run tune <scenario|file.yaml> -- [--strategy s] [--objective cost|p99|errors|score]
         [--budget N] [--seeds K] [--holdout H] [--seed N] [--eta 3] [--duration S] [--out DIR]
         [--param name=value ...] [--only name,name] [--max-p99 MS] [--max-error-rate R] [--max-cost USD] [--min-quality Q]
         [--max-attempts-per-request X] [--min-ok-pct P] [--export litellm|portkey]
         [--workers N] [--list-params] [--quiet]`;

export interface TuneArgs extends TuneOptions {
  quiet: boolean;
  listParams: boolean;
  /** Also write the tuned config in this gateway's format. */
  exportTo: 'litellm' | 'portkey' | undefined;
}

function num(flag: string, v: string | undefined, check: (n: number) => boolean, expect: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !check(n)) throw new TuneInputError(`--${flag}: expected ${expect}, got "${v}"\n${TUNE_USAGE}`);
  return n;
}

const int = (min: number) => (n: number) => Number.isInteger(n) && n >= min;

export function parseTuneArgs(argv: readonly string[]): TuneArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        strategy: { type: 'string' },
        objective: { type: 'string' },
        budget: { type: 'string' },
        seeds: { type: 'string' },
        holdout: { type: 'string' },
        seed: { type: 'string' },
        eta: { type: 'string' },
        duration: { type: 'string' },
        out: { type: 'string' },
        param: { type: 'string', multiple: true },
        only: { type: 'string' },
        'max-p99': { type: 'string' },
        'max-error-rate': { type: 'string' },
        'max-cost': { type: 'string' },
        'min-quality': { type: 'string' },
        'max-attempts-per-request': { type: 'string' },
        'min-ok-pct': { type: 'string' },
        export: { type: 'string' },
        workers: { type: 'string' },
        'list-params': { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    throw new TuneInputError(`${(e as Error).message}\n${TUNE_USAGE}`);
  }
  const { values: v, positionals } = parsed;
  if (v.help) throw Object.assign(new TuneInputError(TUNE_USAGE), { exitCode: 0 });
  if (positionals.length !== 1)
    throw new TuneInputError(`${positionals.length === 0 ? 'missing the scenario name' : `one scenario at a time, got: ${positionals.join(' ')}`}\n${TUNE_USAGE}`);
  const objective = v.objective as ObjectiveName | undefined;
  if (objective !== undefined && !OBJECTIVES.includes(objective))
    throw new TuneInputError(`--objective: unknown objective "${objective}"; valid objectives: ${OBJECTIVES.join(', ')}`);
  const limits = {
    p99Ms: num('max-p99', v['max-p99'], (n) => n > 0, 'milliseconds > 0'),
    errorRate: num('max-error-rate', v['max-error-rate'], (n) => n >= 0 && n <= 1, 'a rate in 0..1'),
    costPer1kOk: num('max-cost', v['max-cost'], (n) => n > 0, 'USD per 1k ok > 0'),
    minQuality: num('min-quality', v['min-quality'], (n) => n >= 0 && n <= 1, 'a share of acceptable answers in 0..1'),
    attemptsPerRequest: num('max-attempts-per-request', v['max-attempts-per-request'], (n) => n >= 1, 'a number >= 1'),
    minOkPct: num('min-ok-pct', v['min-ok-pct'], (n) => n >= 0 && n <= 100, 'a percentage 0..100'),
  };
  const exportTo = v.export;
  if (exportTo !== undefined && exportTo !== 'litellm' && exportTo !== 'portkey')
    throw new TuneInputError(`--export: expected litellm or portkey, got "${exportTo}"\n${TUNE_USAGE}`);
  return {
    scenario: positionals[0]!,
    strategy: v.strategy,
    objective,
    budget: num('budget', v.budget, int(1), 'an integer >= 1'),
    seeds: num('seeds', v.seeds, int(1), 'an integer >= 1'),
    holdout: num('holdout', v.holdout, int(0), 'an integer >= 0'),
    seed: num('seed', v.seed, int(0), 'a non-negative integer'),
    eta: num('eta', v.eta, int(2), 'an integer >= 2'),
    durationS: num('duration', v.duration, (n) => n > 0 && n <= MAX_DURATION_S, `seconds > 0, at most ${MAX_DURATION_S} (7 days)`),
    out: v.out,
    params: v.param,
    only: v.only?.split(',').map((s) => s.trim()).filter(Boolean),
    limits,
    workers: num('workers', v.workers, int(0), 'an integer >= 0'),
    quiet: v.quiet ?? false,
    listParams: v['list-params'] ?? false,
    exportTo,
  };
}
