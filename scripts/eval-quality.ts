/**
 * Evaluate quality routers on the held-out subjects of the outcome data (never used in
 * training or tuning): APGR, strong share for 80% / 95% of the strong model's quality,
 * with a 95% interval from a bootstrap over whole held-out subjects; plus the learned
 * router's pick cost per prompt. Writes the quality-vs-strong-share chart.
 *
 *   npm run eval-quality [-- --out docs/quality] [--boot 1000] [--splits 5]
 *
 * --splits N also retrains the same pipeline on the splits with seeds 2..N and prints
 * each one's held-out APGR (how much the figure depends on which subjects are held out).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { defaultClassifier } from '../router/classifier/index.js';
import { createQualityPredictor, defaultQualityModel, defaultQualityPredictor, type QualityPredictor } from '../router/quality/index.js';
import { seededRandom, randomInt } from '../router/core/random.js';
import { specToSvg } from '../reports/svg.js';
import { qualityCurveChart } from '../reports/specs-quality.js';
import { oracleScores, routingMetrics, type OutcomePair, type RoutingMetrics } from '../simulator/apgr.js';
import type { OutcomeRecord } from '../simulator/outcomes.js';
import { pairsOf, prepare, trainQualityModel } from './quality/training.js';

/** Classes the class-based router sends to the strong model (as in scenarios/quality-cost.yaml). */
export const HARD_CLASSES = ['math', 'reasoning', 'coding'];

type Router = { router: string; scores: number[] };

function routers(records: readonly OutcomeRecord[], pairs: readonly OutcomePair[], predictor: QualityPredictor = defaultQualityPredictor()): { list: Router[]; usPerPrompt: number } {
  for (const r of records) predictor.predict(r.prompt); // warm up (JIT), then time a second pass
  const t0 = performance.now();
  const learned = records.map((r) => {
    const q = predictor.predict(r.prompt);
    return q.strong - q.cheap;
  });
  const usPerPrompt = ((performance.now() - t0) * 1000) / records.length;
  const classifier = defaultClassifier();
  const classes = records.map((r) => classifier.classify(r.prompt));
  return {
    usPerPrompt,
    list: [
      { router: 'learned', scores: learned },
      { router: 'classifier (classes)', scores: classes.map((c) => (HARD_CLASSES.includes(c.label) ? 1 : 0)) },
      { router: 'classifier (posterior)', scores: classes.map((c) => HARD_CLASSES.reduce((s, k) => s + (c.scores[k] ?? 0), 0)) },
      { router: 'random', scores: records.map(() => 0) },
      { router: 'oracle', scores: oracleScores(pairs) },
    ],
  };
}

/** 95% percentile interval of a metric over `boot` resamples of whole subjects. */
function subjectBootstrap(records: readonly OutcomeRecord[], pairs: readonly OutcomePair[], scores: readonly number[], boot: number, metric: (m: RoutingMetrics) => number): [number, number] {
  const bySubject = new Map<string, number[]>();
  records.forEach((r, i) => {
    const list = bySubject.get(r.subject) ?? [];
    list.push(i);
    bySubject.set(r.subject, list);
  });
  const groups = [...bySubject.values()];
  const random = seededRandom('eval-quality-bootstrap');
  const values: number[] = [];
  for (let b = 0; b < boot; b++) {
    const idx = groups.flatMap(() => groups[randomInt(random, groups.length)]!);
    const v = metric(routingMetrics(idx.map((i) => pairs[i]!), idx.map((i) => scores[i]!)));
    if (Number.isFinite(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  return [values[Math.floor(0.025 * values.length)]!, values[Math.ceil(0.975 * values.length) - 1]!];
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** Bad command-line input: exit code 2. */
class UsageError extends Error {}

const USAGE = 'usage: npm run eval-quality -- [--splits K] [--boot N] [--out DIR]   (held-out APGR table; writes DIR/quality-vs-strong-share.svg)';

function args(): { out: string; boot: number; splits: number } | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      options: { out: { type: 'string', default: 'docs/quality' }, boot: { type: 'string', default: '1000' }, splits: { type: 'string', default: '1' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  const boot = Number(values.boot);
  if (!Number.isInteger(boot) || boot < 0) throw new UsageError(`--boot: expected a non-negative integer, got "${values.boot}"`);
  const splits = Number(values.splits);
  if (!Number.isInteger(splits) || splits < 1) throw new UsageError(`--splits: expected a positive integer, got "${values.splits}"`);
  return { out: values.out!, boot, splits };
}

async function main(): Promise<void> {
  const values = args();
  if (values === undefined) return;
  const { boot, splits } = values;
  const p = prepare();
  const heldOutModel = defaultQualityModel().meta?.split.heldOutSubjects.join(',');
  if (heldOutModel !== undefined && heldOutModel !== p.heldOutSubjects.join(','))
    throw new Error('the shipped quality model was trained on another split (retrain: npm run train-quality)');
  const records = p.heldOut;
  const pairs = pairsOf(p, records);
  const { list, usPerPrompt } = routers(records, pairs);
  console.log(`held-out subjects (${p.heldOutSubjects.length}, ${records.length} prompts): ${p.heldOutSubjects.join(', ')}`);
  const header = `${'router'.padEnd(24)} ${'APGR'.padStart(6)}  ${'95% CI (by subject)'.padEnd(19)} ${'share@80%'.padStart(9)} ${'share@95%'.padStart(9)} ${'share@gap50%'.padStart(12)}`;
  console.log(`\n${header}\n${'-'.repeat(header.length)}`);
  const curves = [];
  for (const r of list) {
    const m = routingMetrics(pairs, r.scores);
    const ci = boot > 0 && r.router !== 'random' ? subjectBootstrap(records, pairs, r.scores, boot, (x) => x.apgr) : undefined;
    const ciText = ci ? `[${ci[0].toFixed(3)}, ${ci[1].toFixed(3)}]` : '-';
    console.log(`${r.router.padEnd(24)} ${m.apgr.toFixed(3).padStart(6)}  ${ciText.padEnd(19)} ${pct(m.shareAt80).padStart(9)} ${pct(m.shareAt95).padStart(9)} ${pct(m.shareAtGap50).padStart(12)}`);
    curves.push({ router: r.router, apgr: m.apgr, curve: m.curve });
  }
  const m0 = routingMetrics(pairs, list[0]!.scores);
  console.log(`\nall-weak quality ${pct(m0.qualityWeak)}, all-strong ${pct(m0.qualityStrong)} (95% of strong = ${pct(0.95 * m0.qualityStrong)})`);
  console.log(`learned router pick cost: ${usPerPrompt.toFixed(1)} µs per prompt (features + 2 dot products, mean over ${records.length} prompts of ${Math.round(records.reduce((a, r) => a + r.prompt.length, 0) / records.length)} characters on average, after a warm-up pass)`);
  const chart = qualityCurveChart(curves, `held-out MMLU subjects (${records.length} prompts), Mixtral-8x7B (weak) vs GPT-4-1106 (strong)`);
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, `${chart.id}.vl.json`), JSON.stringify(chart.spec, null, 2) + '\n');
  writeFileSync(join(values.out, `${chart.id}.svg`), await specToSvg(chart.spec));
  console.log(`wrote ${values.out}/${chart.id}.svg and .vl.json`);
  if (splits > 1) otherSplits(splits, list[0]!.scores, list[1]!.scores, pairs);
}

/** Held-out APGR of the learned router (retrained per split) and the classifier on the splits with seeds 1..n. */
function otherSplits(n: number, learned1: number[], classifier1: number[], pairs1: OutcomePair[]): void {
  const rows: Array<[number, number, number]> = [[1, routingMetrics(pairs1, learned1).apgr, routingMetrics(pairs1, classifier1).apgr]];
  for (let seed = 2; seed <= n; seed++) {
    const p = prepare(seed);
    const predictor = createQualityPredictor(trainQualityModel(p).model);
    const pairs = pairsOf(p, p.heldOut);
    const { list } = routers(p.heldOut, pairs, predictor);
    rows.push([seed, routingMetrics(pairs, list[0]!.scores).apgr, routingMetrics(pairs, list[1]!.scores).apgr]);
  }
  console.log(`\nheld-out APGR by split seed (the learned router retrained on each split's training subjects):`);
  for (const [seed, l, c] of rows) console.log(`  seed ${seed}: learned ${l.toFixed(3)}, classifier (classes) ${c.toFixed(3)}`);
  const mean = (i: 1 | 2): number => rows.reduce((a, r) => a + r[i], 0) / rows.length;
  console.log(`  mean over ${rows.length} splits: learned ${mean(1).toFixed(3)}, classifier (classes) ${mean(2).toFixed(3)}`);
}

main().catch((e: Error) => {
  console.error(`eval-quality: ${e.message}`);
  process.exitCode = e instanceof UsageError ? 2 : 1;
});
