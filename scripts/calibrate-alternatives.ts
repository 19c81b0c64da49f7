/**
 * Why do some LLMPerf files fail the held-out KS goal, and would another model fix them?
 * For each file and each of N seeded splits (calibrate's own split, holdout 0.5, seeds
 * seed..seed+N−1), the held-out successes are compared (two-sample KS, 40 simulated per
 * held-out one, every row against the same 1.36·√(1/n + 1/40n)) with samples from models fitted on the fit half
 * only:
 *
 *   TTFT   bic     the shipped choice: lognormal / shifted / mixture of ≤ 3 by BIC (mixture.ts)
 *          cv      K in 1..5 by 5-fold cross-validated log-likelihood inside the fit half
 *          own     the fit half's TTFTs themselves (no model: the ceiling a fit can expect)
 *   e2e    indep   TTFT (bic) + output tokens × ms per token (bic), drawn independently (as shipped)
 *          cond    as indep, but the decode component is drawn from P(decode comp | TTFT comp),
 *                  fitted by EM on the fit half's pairs (the two mixtures held fixed)
 *          pairs   the fit half's own (TTFT, ms per token) pairs at the held-out token counts
 *          shuf    the same with TTFT and ms per token re-paired at random (every combination)
 *
 * and, per file, the file-order drift: KS of the first vs the second half of the successes
 * in file order against the two-sample 5% critical value (LLMPerf files have no timestamps;
 * file order is the nearest thing to time).
 *
 *   npx tsx scripts/calibrate-alternatives.ts [files…] [--splits 10] [--seed 1]
 *
 * Samples are drawn here (seeded), not through the simulator's provider model, so the rows
 * compare with each other; `npm run calibrate -- … --splits 10` gives the shipped profile's
 * own counts.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom, type Random } from '../router/core/random.js';
import { scriptArgs } from '../scenarios/cli/strict-args.js';
import { readInput } from '../simulator/calibrate/calibrate.js';
import { split } from '../simulator/calibrate/holdout.js';
import { fitLognormalMixture, selectLognormal, type LognormalModel } from '../simulator/calibrate/mixture.js';
import type { Observation } from '../simulator/calibrate/observations.js';
import { ksCritical, ksTwoSample } from '../simulator/calibrate/stats.js';

const HELP = `usage: npx tsx scripts/calibrate-alternatives.ts [files…] [--splits N] [--seed S]
Held-out KS pass counts over N seeded splits (default 10, seeds S.., default 1) for alternative
TTFT and end-to-end models, the fit half's own data, and each file's drift in file order.
Files default to data/calibration/llmperf/*.json.`;

const SIM = 40;
const FOLDS = 5;
const MAX_CV_K = 5;

const args = scriptArgs(process.argv.slice(2), { splits: { type: 'string' }, seed: { type: 'string' } }, HELP);
if (typeof args === 'number') process.exit(args);
const splits = Number(args.values.splits ?? 10);
const seed0 = Number(args.values.seed ?? 1);
if (!Number.isInteger(splits) || splits < 1 || !Number.isInteger(seed0) || seed0 < 0) {
  process.stderr.write(`--splits: a positive integer, --seed: a non-negative integer\n${HELP}\n`);
  process.exit(2);
}
const dir = join(import.meta.dirname, '..', 'data', 'calibration', 'llmperf');
const files = args.positionals.length > 0 ? args.positionals : readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => join(dir, f));

const normal = (r: Random): number => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());

function pickIndex(ws: readonly number[], u: number): number {
  let acc = 0;
  for (let i = 0; i < ws.length - 1; i++) if (u < (acc += ws[i]!)) return i;
  return ws.length - 1;
}

/** One draw of the model, from component `j` (or one picked by weight). */
function draw(m: LognormalModel, r: Random, j = pickIndex(m.components.map((c) => c.weight), r.next())): number {
  const c = m.components[j]!;
  return m.shift + Math.exp(c.mu + c.sigma * normal(r));
}

/** Per-component weighted densities wⱼ fⱼ(x) (of x, not ln x). */
function parts(m: LognormalModel, x: number): number[] {
  const v = x - m.shift;
  return m.components.map((c) => (v <= 0 ? 0 : (c.weight * Math.exp(-0.5 * ((Math.log(v) - c.mu) / c.sigma) ** 2)) / (c.sigma * v * Math.sqrt(2 * Math.PI))));
}

/** K by 5-fold cross-validated log-likelihood inside xs (folds seeded), refitted on all of xs. */
function cvSelect(xs: readonly number[], seed: number): LognormalModel {
  const r = seededRandom(`alternatives-cv:${seed}`);
  const idx = xs.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(r.next() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  let best = fitLognormalMixture(xs, 1)!;
  let bestScore = -Infinity;
  for (let k = 1; k <= MAX_CV_K; k++) {
    let score = 0;
    for (let f = 0; f < FOLDS && score > -Infinity; f++) {
      const m = fitLognormalMixture(
        idx.filter((_, i) => i % FOLDS !== f).map((i) => xs[i]!),
        k,
      );
      if (m === null) score = -Infinity;
      else for (const i of idx.filter((_, i) => i % FOLDS === f)) score += Math.max(-50, Math.log(parts(m, xs[i]!).reduce((a, b) => a + b, 0)));
    }
    if (score > bestScore) {
      const m = fitLognormalMixture(xs, k);
      if (m !== null) [best, bestScore] = [m, score];
    }
  }
  return best;
}

/** P(decode component j | TTFT component i) by EM over the pairs, both mixtures held fixed. */
function conditional(t: LognormalModel, d: LognormalModel, ts: readonly number[], ds: readonly number[]): number[][] {
  const ft = ts.map((x) => parts(t, x));
  const gd = ds.map((x) => parts(d, x).map((g, j) => g / d.components[j]!.weight));
  let pi = t.components.map(() => d.components.map((c) => c.weight));
  for (let it = 0; it < 200; it++) {
    const acc = pi.map((row) => row.map(() => 0));
    for (let n = 0; n < ts.length; n++) {
      const q = pi.map((row, i) => row.map((p, j) => ft[n]![i]! * p * gd[n]![j]!));
      const z = q.flat().reduce((a, b) => a + b, 0);
      if (z > 0) q.forEach((row, i) => row.forEach((v, j) => (acc[i]![j]! += v / z)));
    }
    pi = acc.map((row, i) => {
      const s = row.reduce((a, b) => a + b, 0);
      return s > 0 ? row.map((v) => v / s) : pi[i]!;
    });
  }
  return pi;
}

interface Counts {
  [k: string]: number;
}

const KEYS = ['ttftBic', 'ttftCv', 'ttftOwn', 'e2eIndep', 'e2eCond', 'e2ePairs', 'e2eShuf'] as const;

/** Paired outcomes (pass of A, pass of B) per file × split, for McNemar's exact test. */
const PAIRS = [
  ['ttftBic', 'ttftCv'],
  ['e2eIndep', 'e2eCond'],
] as const;
const discordant = PAIRS.map(() => ({ aOnly: 0, bOnly: 0 }));

/** Two-sided exact McNemar p-value: 2·P(X ≤ min(b, c)), X ~ Binomial(b + c, 1/2), capped at 1. */
function mcnemar(b: number, c: number): number {
  const n = b + c;
  let p = 0;
  let term = 0.5 ** n; // P(X = 0)
  for (let k = 0; k <= Math.min(b, c); k++) {
    p += term;
    term = (term * (n - k)) / (k + 1);
  }
  return Math.min(1, 2 * p);
}

/** Every row against the critical value the simulated check uses (m = 40·n), so the rows compare (the fit half's own TTFTs are fewer). */
const pass = (held: readonly number[], sim: readonly number[]): number => (ksTwoSample(held, sim) <= ksCritical(held.length, SIM * held.length) ? 1 : 0);
const ok = (xs: readonly Observation[]): Observation[] => xs.filter((o) => o.ok && o.ttftMs !== null && o.ttftMs > 0 && o.e2eMs !== null);
const paired = (xs: readonly Observation[]): Observation[] => ok(xs).filter((o) => o.outputTokens !== null && o.outputTokens >= 1 && o.e2eMs! >= o.ttftMs!);

/** One split: its passes added to the file's counts, and to the discordant pairs. */
function evaluate(obs: readonly Observation[], seed: number, perFile: Counts): void {
  const c: Counts = Object.fromEntries(KEYS.map((k) => [k, 0]));
  run(obs, seed, c);
  for (const k of KEYS) perFile[k]! += c[k]!;
  PAIRS.forEach(([a, b], i) => {
    if (c[a]! > c[b]!) discordant[i]!.aOnly++;
    if (c[b]! > c[a]!) discordant[i]!.bOnly++;
  });
}

/** Fit on the split's fit half, check every row on its held-out half (1 = pass). */
function run(obs: readonly Observation[], seed: number, c: Counts): void {
  const { train, test } = split(obs, 0.5, seed);
  const tr = paired(train);
  const te = ok(test);
  if (tr.length < 5 || te.length === 0) return;
  const rng = seededRandom(`alternatives-sim:${seed}`);
  const ts = tr.map((o) => o.ttftMs!);
  const ds = tr.map((o) => (o.e2eMs! - o.ttftMs!) / o.outputTokens!);
  const heldT = te.map((o) => o.ttftMs!);
  const heldE = te.map((o) => o.e2eMs!);
  const outTok = (o: Observation): number => Math.max(1, Math.round(o.outputTokens ?? 1));
  const bic = selectLognormal(ts, { maxComponents: 3, shift: true });
  const dec = selectLognormal(ds, { maxComponents: 3, shift: false });
  const cv = cvSelect(ts, seed);
  const many = (f: () => number): number[] => Array.from({ length: SIM * te.length }, f);
  c.ttftBic! += pass(heldT, many(() => draw(bic, rng)));
  c.ttftCv! += pass(heldT, many(() => draw(cv, rng)));
  c.ttftOwn! += pass(heldT, ts);
  const pi = conditional(bic, dec, ts, ds);
  const indep: number[] = [];
  const cond: number[] = [];
  const pairs: number[] = [];
  const shuf: number[] = [];
  for (const o of te) {
    const k = outTok(o);
    for (let rep = 0; rep < SIM; rep++) {
      indep.push(draw(bic, rng) + k * draw(dec, rng));
      const i = pickIndex(bic.components.map((x) => x.weight), rng.next());
      cond.push(draw(bic, rng, i) + k * draw(dec, rng, pickIndex(pi[i]!, rng.next())));
    }
    for (let a = 0; a < ts.length; a++) {
      pairs.push(ts[a]! + k * ds[a]!);
      for (let b = 0; b < ds.length; b++) shuf.push(ts[a]! + k * ds[b]!);
    }
  }
  c.e2eIndep! += pass(heldE, indep);
  c.e2eCond! += pass(heldE, cond);
  c.e2ePairs! += pass(heldE, pairs);
  c.e2eShuf! += pass(heldE, shuf);
}

function drift(obs: readonly Observation[]): string {
  const s = ok(obs);
  const h = Math.floor(s.length / 2);
  const crit = ksCritical(h, s.length - h);
  const one = (f: (o: Observation) => number): string => {
    const d = ksTwoSample(s.slice(0, h).map(f), s.slice(h).map(f));
    return `${d.toFixed(3)}${d > crit ? ' **drift**' : ''}`;
  };
  return `${one((o) => o.ttftMs!)}, ${one((o) => o.e2eMs!)} (${crit.toFixed(3)}, ${h}+${s.length - h})`;
}

const total: Counts = Object.fromEntries(KEYS.map((k) => [k, 0]));
const lines = [
  `| file | TTFT: bic / cv / own | e2e: indep / cond / pairs / shuf | file-order drift KS: TTFT, e2e (5% crit, n) |`,
  `| --- | --- | --- | --- |`,
];
for (const f of files) {
  const read = readInput(f, {});
  for (const [g, obs] of read.groups) {
    const c: Counts = Object.fromEntries(KEYS.map((k) => [k, 0]));
    for (let s = seed0; s < seed0 + splits; s++) evaluate(obs, s, c);
    for (const k of KEYS) total[k]! += c[k]!;
    lines.push(`| ${g} | ${c.ttftBic} / ${c.ttftCv} / ${c.ttftOwn} | ${c.e2eIndep} / ${c.e2eCond} / ${c.e2ePairs} / ${c.e2eShuf} | ${drift(obs)} |`);
  }
}
lines.push(
  `| all (passes of ${splits} splits × files) | ${total.ttftBic} / ${total.ttftCv} / ${total.ttftOwn} | ${total.e2eIndep} / ${total.e2eCond} / ${total.e2ePairs} / ${total.e2eShuf} | |`,
);
for (const [i, [a, b]] of PAIRS.entries()) {
  const d = discordant[i]!;
  lines.push(`\n${b} vs ${a}, paired by file × split: ${d.bOnly} pass only with ${b}, ${d.aOnly} only with ${a}; McNemar exact p = ${mcnemar(d.aOnly, d.bOnly).toFixed(2)}`);
}
process.stdout.write(`${lines.join('\n')}\n`);
