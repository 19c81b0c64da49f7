import { z } from 'zod';
import { formatPath } from '../router/core/config.js';
import type { ResultsFile } from './contract.js';

/**
 * zod schema for results.json (reports/contract.ts). The scenario runner validates what it
 * writes and `npm run report` validates what it reads, so a malformed file fails with the
 * field path ("strategies[1].summary.latencyMs.p99: ...") instead of a broken chart.
 * Objects are loose: unknown extra fields pass through, so newer writers stay readable.
 */

const num = z.number().finite();
const nonNeg = num.nonnegative();
const frac = num.min(0).max(1 + 1e-9); // shares/rates; tolerate float round-off above 1
const nullableNonNeg = nonNeg.nullable();

const quantiles = z.looseObject({ p50: nonNeg, p90: nonNeg, p99: nonNeg, p999: nonNeg, max: nonNeg });

const summary = z.looseObject({
  requests: nonNeg,
  ok: nonNeg,
  errors: nonNeg,
  errorRate: frac,
  throughputRps: nonNeg,
  latencyMs: quantiles,
  ttftMs: z.looseObject({ p50: nonNeg, p99: nonNeg }),
  costUsd: nonNeg,
  costPer1kOk: nonNeg,
  attemptsPerRequest: nonNeg,
  providerShare: z.record(z.string(), frac),
  failoverS: nullableNonNeg,
  recoverS: nullableNonNeg,
  errorsByKind: z.record(z.string(), nonNeg).optional(),
  qualityOk: frac.optional(),
  cachedTokenShare: frac.optional(),
  // Negative when cache writes billed at a premium outweigh the reads.
  cacheSavingsUsd: num.optional(),
  oracleCachedTokenShare: frac.optional(),
  responseCacheHits: nonNeg.optional(),
  responseCacheHitRate: frac.optional(),
  responseCacheSavedUsd: nonNeg.optional(),
  attemptCostUsd: nonNeg.optional(),
  wastedUsd: nonNeg.optional(),
  attemptCostPer1kOk: nonNeg.optional(),
  goodputRps: nonNeg.optional(),
});

const timelinePoint = z.looseObject({
  t: nonNeg,
  rps: nonNeg,
  p50: nonNeg,
  p99: nonNeg,
  errors: nonNeg,
  costUsd: nonNeg,
  share: z.record(z.string(), frac),
});

// Regret may be negative (a heuristic can beat a per-request oracle on p99 by luck).
const regret = z.looseObject({ costUsd: num, p99Ms: num, errors: num });

const routing = z.looseObject({
  weak: z.string(),
  strong: z.string(),
  strongShare: frac,
  quality: frac,
  qualityWeak: frac,
  qualityStrong: frac,
  qualityOracle: frac,
  qualityRandomAtShare: frac,
  pgr: num,
});

const interval = z
  .looseObject({ mean: num, lo: num, hi: num, n: z.number().int().positive() })
  .refine((i) => i.lo <= i.hi, { message: 'lo must be <= hi' });

const strategyResult = z.looseObject({
  strategy: z.string().min(1),
  params: z.record(z.string(), z.unknown()).optional(),
  summary,
  timeline: z.array(timelinePoint),
  regret: regret.optional(),
  routing: routing.optional(),
  ci: z.record(z.string(), interval).optional(),
});

const faultWindow = z
  .looseObject({ start: nonNeg, end: nonNeg, provider: z.string(), kind: z.string() })
  .refine((f) => f.end >= f.start, { message: 'end must be >= start', path: ['end'] });

const pairVerdict = z.looseObject({ a: z.string(), b: z.string(), advantage: z.looseObject({ mean: num, lo: num, hi: num, n: z.number().int().nonnegative() }), baseMean: num, significant: z.boolean() });
const metricVerdict = z.looseObject({
  metric: z.string().min(1),
  label: z.string(),
  better: z.enum(['lower', 'higher']),
  diff: z.enum(['share', 'relative']),
  unit: z.string(),
  ranking: z.array(z.looseObject({ strategy: z.string(), mean: num })),
  pairs: z.array(pairVerdict),
  winner: z.string().nullable(),
  leaders: z.array(z.string()),
});
const verdict = z.looseObject({
  question: z.string(),
  seeds: z.array(num),
  level: num.gt(0).lt(1),
  correction: z.literal('bonferroni'),
  metrics: z.array(metricVerdict),
  expectedWinner: z.looseObject({ metric: z.string(), strategy: z.string() }).optional(),
});

const sweep = z.looseObject({
  param: z.literal('rate'),
  rates: z.array(nonNeg),
  seeds: z.array(num),
  points: z.array(z.looseObject({ rate: nonNeg, strategy: z.string(), goodputRps: nonNeg, p99Ms: nonNeg, errorRate: frac, meetsSlo: z.boolean() })),
  capacity: z.record(z.string(), nonNeg.nullable()),
});

export const resultsSchema = z
  .looseObject({
    scenario: z.string().min(1),
    mode: z.enum(['sim', 'http']),
    seed: num,
    durationS: nonNeg,
    strategies: z.array(strategyResult).min(1),
    faults: z.array(faultWindow).optional(),
    slo: z.looseObject({ p99Ms: nonNeg.optional(), errorRate: frac.optional(), costPer1kOk: nonNeg.optional() }).optional(),
    seeds: z.array(num).optional(),
    generatedBy: z.string().optional(),
    verdict: verdict.optional(),
    deadlineMs: nonNeg.optional(),
    sweep: sweep.optional(),
  })
  .superRefine((r, ctx) => {
    // Strategy names key colours and table rows: they must be unique.
    const seen = new Set<string>();
    r.strategies.forEach((s, i) => {
      if (seen.has(s.strategy))
        ctx.addIssue({ code: 'custom', path: ['strategies', i, 'strategy'], message: `duplicate strategy name "${s.strategy}"` });
      seen.add(s.strategy);
    });
  });

// Compile-time guard: the schema and the contract describe the same fields (both directions),
// ignoring the index signatures that loose objects add.
type NoIndex<T> = T extends (infer U)[]
  ? NoIndex<U>[]
  : T extends object
    ? { [K in keyof T as string extends K ? never : K]: NoIndex<T[K]> }
    : T;
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Output = z.output<typeof resultsSchema>;
const _schemaMatchesContract: Same<NoIndex<Output>, NoIndex<ResultsFile>> = true;
const _outputIsContract = (x: Output): ResultsFile => x;
void _schemaMatchesContract;
void _outputIsContract;

/** A results file failed validation. `fields` lists every bad field path. */
export class ResultsError extends Error {
  readonly fields: string[];
  constructor(message: string, fields: string[]) {
    super(message);
    this.name = 'ResultsError';
    this.fields = fields;
  }
}

/**
 * Validate parsed JSON as a ResultsFile or throw ResultsError whose message has one line per
 * problem: "<where>: <field path>: <what is wrong>". `where` names the file (or "results").
 */
export function parseResults(obj: unknown, where = 'results'): ResultsFile {
  const r = resultsSchema.safeParse(obj);
  if (r.success) return r.data;
  const fields = r.error.issues.map((i) => formatPath(i.path));
  const lines = r.error.issues.slice(0, 20).map((i, k) => `  ${fields[k]}: ${i.message}`);
  if (r.error.issues.length > 20) lines.push(`  ... and ${r.error.issues.length - 20} more`);
  throw new ResultsError(`${where}: invalid results file:\n${lines.join('\n')}`, fields);
}
