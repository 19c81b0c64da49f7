import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatZodError } from '../core/config.js';
import { featureWidth, HAND_FEATURES } from './features.js';

/**
 * quality-model.json: two logistic regressions over the same prompt features, one per
 * model tier, each predicting P(that tier's answer is acceptable):
 *   cheap   trained on the weak model's outcomes
 *   strong  trained on the strong model's outcomes
 * plus how they were trained (meta). Validated on load so a hand-edited or truncated
 * file fails naming the file and the field.
 */

const finite = z.number().finite();

const tierSchema = z.strictObject({ bias: finite, weights: z.array(finite) });

const metaSchema = z.strictObject({
  data: z.string(),
  weakModel: z.string(),
  strongModel: z.string(),
  split: z.strictObject({ seed: z.number().int(), heldOutShare: z.number(), heldOutSubjects: z.array(z.string()) }),
  trainSize: z.number().int().nonnegative(),
  options: z.strictObject({ epochs: z.number().int().positive(), learningRate: z.number().positive(), l2: z.number().nonnegative(), seed: z.number().int() }),
  /** APGR of out-of-fold predictions, folds of whole training subjects (never the held-out ones). */
  cv: z.strictObject({ folds: z.number().int(), apgr: z.number() }),
  /** Threshold (expected gain) per target share of the strong quality, from the same out-of-fold predictions. */
  thresholds: z.record(z.string(), z.number()),
});

const modelSchema = z
  .strictObject({
    format: z.literal('llm-router/quality-logistic@1'),
    buckets: z.number().int().positive().max(1 << 20),
    handFeatures: z.array(z.string()),
    cheap: tierSchema,
    strong: tierSchema,
    meta: metaSchema.optional(),
  })
  .superRefine((m, ctx) => {
    if (m.handFeatures.join(',') !== HAND_FEATURES.join(','))
      ctx.addIssue({ code: 'custom', path: ['handFeatures'], message: `expected [${HAND_FEATURES.join(', ')}] (the features this code computes; retrain)` });
    const width = featureWidth(m.buckets);
    for (const tier of ['cheap', 'strong'] as const)
      if (m[tier].weights.length !== width)
        ctx.addIssue({ code: 'custom', path: [tier, 'weights'], message: `expected ${width} weights (buckets + hand features), got ${m[tier].weights.length}` });
  });

export type QualityModel = z.output<typeof modelSchema>;
export type QualityModelMeta = z.output<typeof metaSchema>;

export function parseQualityModel(data: unknown, where = 'model'): QualityModel {
  const r = modelSchema.safeParse(data);
  if (!r.success) throw new Error(`invalid quality model ${where}:\n${formatZodError(r.error, where)}`);
  return r.data;
}

export function readQualityModel(path: string): QualityModel {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read quality model ${path}: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`quality model ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseQualityModel(data, path);
}

/** Weights to 4 significant digits: ~45% smaller file, no measurable change in APGR. */
const round = (x: number): number => Number(x.toPrecision(4));

/** Stable JSON: header and meta indented, each weight vector on one line. */
export function serializeQualityModel(m: QualityModel): string {
  const tier = (t: QualityModel['cheap']): string => `{ "bias": ${round(t.bias)}, "weights": [${t.weights.map(round).join(',')}] }`;
  const head = {
    format: m.format,
    buckets: m.buckets,
    handFeatures: m.handFeatures,
    ...(m.meta ? { meta: m.meta } : {}),
  };
  const headJson = JSON.stringify(head, null, 2).replace(/\n}$/, '');
  return `${headJson},\n  "cheap": ${tier(m.cheap)},\n  "strong": ${tier(m.strong)}\n}\n`;
}
