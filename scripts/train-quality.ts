/**
 * Retrain the learned quality router and write router/quality/quality-model.json.
 *
 *   npm run train-quality [-- --out PATH] [--dry-run]
 *
 * Deterministic: the same data and code write the same bytes (a test checks the shipped
 * file). Prints the cross-validated APGR on the training subjects; the held-out subjects
 * are evaluated by `npm run eval-quality`, never here.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { QUALITY_TRAINING, trainQualityModel } from './quality/training.js';

/** Bad command-line input: exit code 2. */
class UsageError extends Error {}

const USAGE = 'usage: npm run train-quality -- [--out PATH] [--dry-run]   (rebuilds router/quality/quality-model.json byte for byte)';

function main(): void {
  let values;
  try {
    ({ values } = parseArgs({ options: { out: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const out = values.out ?? fileURLToPath(new URL('../router/quality/quality-model.json', import.meta.url));
  const t = trainQualityModel();
  const p = t.prepared;
  console.log(`data: ${QUALITY_TRAINING.data}: ${p.set.records.length} prompts, ${p.train.length} in training subjects, ${p.heldOut.length} held out`);
  console.log(`held-out subjects (seed ${QUALITY_TRAINING.split.seed}, ${QUALITY_TRAINING.split.heldOutShare * 100}%): ${p.heldOutSubjects.join(', ')}`);
  console.log(`model: 2 x logistic regression, ${QUALITY_TRAINING.buckets} hashed n-gram buckets + ${t.model.handFeatures.length} hand features, ${JSON.stringify(QUALITY_TRAINING.options)}`);
  console.log(`${QUALITY_TRAINING.folds}-fold (by subject) out-of-fold APGR on the training subjects: ${t.cvApgr.toFixed(4)}`);
  console.log(`thresholds (gain) per target share of strong quality: ${JSON.stringify(t.model.meta?.thresholds)}`);
  if (values['dry-run']) console.log('--dry-run: model not written');
  else {
    writeFileSync(out, t.json);
    console.log(`wrote ${out} (${t.json.length} bytes)`);
  }
}

try {
  main();
} catch (e) {
  console.error(`train-quality: ${(e as Error).message}`);
  process.exitCode = e instanceof UsageError ? 2 : 1;
}
