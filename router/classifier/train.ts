/**
 * Retrain the prompt classifier and write router/classifier/model.json.
 *
 *   npx tsx router/classifier/train.ts [--seed 1] [--test-share 0.2] [--folds 5] [--out PATH] [--dry-run]
 *
 * Prints leave-one-source-out accuracy (each benchmark classified by a model trained on the
 * others: the figure that predicts new traffic), then the held-out accuracy, per-class
 * precision/recall and the confusion matrix of the seeded stratified split, plus k-fold
 * cross-validated accuracy (--folds 0 skips it). Trains with the extra MMLU prompts
 * (router/classifier/extra-prompts.ts).
 * Exit codes: 0 done (and --help); 2 bad input (a flag named); 1 anything else.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PROMPT_CLASSES } from './classes.js';
import { loadPromptCorpus } from './corpus.js';
import { formatEvaluation, type Evaluation } from './metrics.js';
import { serializeModel } from './model-file.js';
import { crossValidate, evaluateBySource, trainOnSplit, TRAINING_DEFAULTS } from './training.js';
import { classifierExtras } from '../../scripts/classifier-extras.js';

const USAGE = 'usage: npm run train-classifier -- [--seed N] [--test-share 0..1] [--folds K] [--out PATH] [--dry-run]';

/** Bad command-line input: exit 2 with the usage. */
class UsageError extends Error {}

function numberArg(name: string, value: string | undefined, fallback: number, ok: (n: number) => boolean, expected: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || !ok(n)) throw new UsageError(`--${name}: expected ${expected}, got "${value}"\n${USAGE}`);
  return n;
}

const OPTIONS = {
  seed: { type: 'string' },
  'test-share': { type: 'string' },
  folds: { type: 'string' },
  out: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function args() {
  try {
    return parseArgs({ options: OPTIONS, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
}


function main(): void {
  const { values } = args();
  if (values.help) return void console.log(USAGE);
  const seed = numberArg('seed', values.seed, TRAINING_DEFAULTS.seed, Number.isInteger, 'an integer');
  const testShare = numberArg('test-share', values['test-share'], TRAINING_DEFAULTS.testShare, (n) => n > 0 && n < 1, 'a number in (0, 1)');
  const folds = numberArg('folds', values.folds, TRAINING_DEFAULTS.folds, (n) => Number.isInteger(n) && (n === 0 || n >= 2), '0 or an integer >= 2');
  const out = values.out ?? fileURLToPath(new URL('./model.json', import.meta.url));

  const corpus = loadPromptCorpus();
  const perClass = PROMPT_CLASSES.map((c) => `${c} ${corpus.filter((p) => p.label === c).length}`).join(', ');
  console.log(`corpus: ${corpus.length} labelled prompts (${perClass})`);
  const extra = classifierExtras();
  const extraPerClass = PROMPT_CLASSES.map((c) => `${c} ${extra.filter((p) => p.label === c).length}`).join(', ');
  console.log(`extra: ${extra.length} MMLU questions of the training subjects, always in training (${extraPerClass})\n`);
  // The figure that predicts new traffic: each benchmark classified by a model that never saw it.
  const bySource = evaluateBySource(corpus, TRAINING_DEFAULTS.options, extra);
  const base = evaluateBySource(corpus, TRAINING_DEFAULTS.options);
  const recall = (e: Evaluation): string => e.perClass.map((c) => `${c.label} ${(c.recall * 100).toFixed(0)}%`).join(', ');
  console.log('leave-one-source-out accuracy (train on the other sources + extra; without extra in brackets):');
  bySource.bySource.forEach(({ source, evaluation: e }, i) =>
    console.log(`  ${source.padEnd(10)} ${(e.accuracy * 100).toFixed(1)}% [${(base.bySource[i]!.evaluation.accuracy * 100).toFixed(1)}%] of ${e.total}; recall ${recall(e)}`),
  );
  console.log(`  pooled     ${(bySource.pooled.accuracy * 100).toFixed(1)}% [${(base.pooled.accuracy * 100).toFixed(1)}%] of ${bySource.pooled.total}; recall ${recall(bySource.pooled)}`);
  console.log(`  pooled without extra: recall ${recall(base.pooled)}\n`);
  const r = trainOnSplit(corpus, seed, testShare, TRAINING_DEFAULTS.options, extra);
  console.log(`random split (flatters: same benchmarks on both sides): seed ${seed}, ${r.train.length} train (with extra) / ${r.heldOut.length} held out (stratified ${testShare * 100}%)`);
  console.log(`model: naive Bayes ${JSON.stringify(r.model.options)}, vocabulary ${Object.keys(r.model.vocabulary).length} tokens\n`);
  console.log(formatEvaluation(r.evaluation, 'held-out'));
  if (folds > 0) {
    const cv = crossValidate(corpus, folds, seed, TRAINING_DEFAULTS.options, extra);
    console.log(`\n${folds}-fold cross-validated accuracy: ${(cv.mean * 100).toFixed(1)}% (folds: ${cv.folds.map((a) => (a * 100).toFixed(1)).join(', ')})`);
  }
  if (values['dry-run']) console.log('\n--dry-run: model not written');
  else {
    writeFileSync(out, serializeModel(r.model));
    console.log(`\nwrote ${out}`);
  }
}

try {
  main();
} catch (e) {
  console.error(`train-classifier: ${(e as Error).message}`);
  process.exitCode = e instanceof UsageError ? 2 : 1;
}
