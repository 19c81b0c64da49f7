import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { features, featureWidth, HAND_FEATURES, type SparseVector } from '../../router/quality/features.js';
import { predict, trainLogistic, type LogisticModel, type LogisticOptions } from '../../router/quality/logistic.js';
import { parseQualityModel, serializeQualityModel, type QualityModel } from '../../router/quality/model-file.js';
import { routingMetrics, shareToReach, type OutcomePair } from '../../simulator/apgr.js';
import { modelIndex, loadOutcomes, type OutcomeRecord, type OutcomeSet } from '../../simulator/outcomes.js';
import { splitBySubject, subjectFolds, SUBJECT_SPLIT_DEFAULTS } from '../../simulator/outcome-split.js';

/**
 * The learned quality router's training pipeline, shared by `npm run train-quality`,
 * `npm run eval-quality` and the tests (so a test checks exactly what the script ships).
 *
 * Data: RouteLLM's MMLU outcomes (data/routing_eval), split by whole subjects with a
 * fixed seed; 20% of the subjects are held out and never read here except by evaluate.
 * Hyper-parameters were chosen by 5-fold cross-validation over the training subjects
 * (folds of whole subjects; pooled out-of-fold APGR): fewer, gentler updates generalise
 * better to unseen subjects (lr 0.02 × 5 epochs: 0.647; lr 0.1: 0.618; 10 epochs: 0.600),
 * 4,096 buckets beat 1,024 (0.584) and match 16,384. Two models (P(cheap ok), P(strong ok))
 * and routing by their difference beat one model of P(cheap ok) alone (0.40: it sends
 * prompts both models fail to the strong one) and one of P(strong right, cheap wrong) (0.46).
 */

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export const QUALITY_TRAINING = {
  data: 'data/routing_eval/routellm_mmlu_responses.csv',
  weakModel: 'mixtral_8x7b_instruct',
  strongModel: 'gpt_4_1106_preview',
  split: SUBJECT_SPLIT_DEFAULTS,
  buckets: 4096,
  folds: 5,
  options: { epochs: 5, learningRate: 0.02, l2: 1e-4, seed: 1 } satisfies LogisticOptions,
  /** Quality targets (share of the strong model's quality) the shipped thresholds reach. */
  targets: [0.9, 0.95, 0.98],
};

export interface Prepared {
  set: OutcomeSet;
  splitSeed: number;
  train: OutcomeRecord[];
  heldOut: OutcomeRecord[];
  heldOutSubjects: string[];
  weak: number;
  strong: number;
}

export function prepare(splitSeed: number = QUALITY_TRAINING.split.seed, file = join(REPO, QUALITY_TRAINING.data)): Prepared {
  const set = loadOutcomes(file);
  const weak = modelIndex(set, QUALITY_TRAINING.weakModel, 'weak model');
  const strong = modelIndex(set, QUALITY_TRAINING.strongModel, 'strong model');
  const s = splitBySubject(set.records, splitSeed, QUALITY_TRAINING.split.heldOutShare);
  return { set, splitSeed, train: s.train, heldOut: s.heldOut, heldOutSubjects: s.heldOutSubjects, weak, strong };
}

export const pairsOf = (p: Prepared, records: readonly OutcomeRecord[]): OutcomePair[] =>
  records.map((r) => ({ weak: r.scores[p.weak]!, strong: r.scores[p.strong]! }));

function fit(p: Prepared, records: readonly OutcomeRecord[], x: readonly SparseVector[]): { cheap: LogisticModel; strong: LogisticModel } {
  const width = featureWidth(QUALITY_TRAINING.buckets);
  const tier = (col: number): LogisticModel =>
    trainLogistic(records.map((r, i) => ({ x: x[i]!, y: r.scores[col]! })), width, QUALITY_TRAINING.options);
  return { cheap: tier(p.weak), strong: tier(p.strong) };
}

/** Expected gain of the strong tier: P(strong ok) − P(cheap ok). */
const gain = (m: { cheap: LogisticModel; strong: LogisticModel }, x: SparseVector): number => predict(m.strong, x) - predict(m.cheap, x);

/** Out-of-fold gains on the training subjects (folds of whole subjects), in `p.train` order. */
export function outOfFold(p: Prepared, x: readonly SparseVector[]): number[] {
  const index = new Map(p.train.map((r, i) => [r, i]));
  const scores = new Array<number>(p.train.length);
  const folds = subjectFolds(p.train, QUALITY_TRAINING.folds, p.splitSeed);
  folds.forEach((test, f) => {
    const rest = folds.filter((_, j) => j !== f).flat();
    const m = fit(p, rest, rest.map((r) => x[index.get(r)!]!));
    for (const r of test) scores[index.get(r)!] = gain(m, x[index.get(r)!]!);
  });
  return scores;
}

/** The gain threshold whose routing (strong iff gain > threshold) reaches `target` × strong quality on these scores. */
export function thresholdFor(pairs: readonly OutcomePair[], scores: readonly number[], target: number): number {
  const m = routingMetrics(pairs, scores);
  const share = shareToReach(m.curve, target * m.qualityStrong);
  const sorted = [...scores].sort((a, b) => b - a);
  const k = Math.ceil(share * sorted.length);
  return k >= sorted.length ? -1 : sorted[k]!;
}

export interface TrainedQuality {
  model: QualityModel;
  /** serializeQualityModel(model): what model.json holds. */
  json: string;
  prepared: Prepared;
  cvApgr: number;
}

export function trainQualityModel(p: Prepared = prepare()): TrainedQuality {
  const buckets = QUALITY_TRAINING.buckets;
  const x = p.train.map((r) => features(r.prompt, buckets));
  const oof = outOfFold(p, x);
  const pairs = pairsOf(p, p.train);
  const cvApgr = routingMetrics(pairs, oof).apgr;
  const thresholds = Object.fromEntries(QUALITY_TRAINING.targets.map((t) => [String(t), Number(thresholdFor(pairs, oof, t).toPrecision(4))]));
  const m = fit(p, p.train, x);
  const draft: QualityModel = {
    format: 'llm-router/quality-logistic@1',
    buckets,
    handFeatures: [...HAND_FEATURES],
    cheap: { bias: m.cheap.bias, weights: [...m.cheap.weights] },
    strong: { bias: m.strong.bias, weights: [...m.strong.weights] },
    meta: {
      data: QUALITY_TRAINING.data,
      weakModel: QUALITY_TRAINING.weakModel,
      strongModel: QUALITY_TRAINING.strongModel,
      split: { seed: p.splitSeed, heldOutShare: QUALITY_TRAINING.split.heldOutShare, heldOutSubjects: p.heldOutSubjects },
      trainSize: p.train.length,
      options: QUALITY_TRAINING.options,
      cv: { folds: QUALITY_TRAINING.folds, apgr: Number(cvApgr.toFixed(4)) },
      thresholds,
    },
  };
  // The shipped model is the rounded one: parse what is written, so evaluations use exactly it.
  const json = serializeQualityModel(draft);
  return { model: parseQualityModel(JSON.parse(json), 'trained model'), json, prepared: p, cvApgr };
}
