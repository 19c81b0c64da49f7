import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatZodError } from '../core/config.js';
import type { NaiveBayesModel } from './naive-bayes.js';

/**
 * model.json: the trained naive Bayes counts plus how they were trained. Validated on
 * load so a hand-edited or truncated file fails with the file and field named.
 */

export interface TrainingMeta {
  /** Seed of the stratified train/held-out split. */
  seed: number;
  /** Share of each class held out. */
  testShare: number;
  trainSize: number;
  heldOutSize: number;
  /** Held-out accuracy of exactly this model on exactly that split. */
  heldOutAccuracy: number;
  /** Training prompts per class. */
  trainPerClass: Record<string, number>;
}

export type ShippedModel = NaiveBayesModel & { meta?: TrainingMeta };

const count = z.number().int().nonnegative();

const modelSchema = z
  .object({
    format: z.literal('llm-router/naive-bayes@1'),
    classes: z.array(z.string().min(1)).min(2),
    options: z.object({
      alpha: z.number().positive(),
      binary: z.boolean(),
      priors: z.enum(['empirical', 'uniform']),
    }),
    docCounts: z.array(count),
    vocabulary: z.record(z.string(), z.array(count)),
    meta: z
      .object({
        seed: z.number(),
        testShare: z.number(),
        trainSize: count,
        heldOutSize: count,
        heldOutAccuracy: z.number().min(0).max(1),
        trainPerClass: z.record(z.string(), count),
      })
      .optional(),
  })
  .superRefine((m, ctx) => {
    const k = m.classes.length;
    if (m.docCounts.length !== k)
      ctx.addIssue({ code: 'custom', path: ['docCounts'], message: `expected ${k} counts (one per class)` });
    for (const [t, row] of Object.entries(m.vocabulary))
      if (row.length !== k) {
        ctx.addIssue({ code: 'custom', path: ['vocabulary', t], message: `expected ${k} counts (one per class)` });
        return;
      }
  });

/** Validate parsed JSON as a model; `where` names its origin in errors. */
export function parseModel(data: unknown, where = 'model'): ShippedModel {
  const r = modelSchema.safeParse(data);
  if (!r.success) throw new Error(`invalid classifier model ${where}:\n${formatZodError(r.error, where)}`);
  return r.data as ShippedModel;
}

export function readModelFile(path: string): ShippedModel {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read classifier model ${path}: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`classifier model ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseModel(data, path);
}

/** Stable JSON: header fields first, then one vocabulary entry per line (small git diffs). */
export function serializeModel(model: ShippedModel): string {
  const { vocabulary, ...head } = model;
  const headJson = JSON.stringify(head, null, 2).replace(/\n}$/, '');
  const vocab = Object.keys(vocabulary)
    .sort()
    .map((t) => `    ${JSON.stringify(t)}: ${JSON.stringify(vocabulary[t])}`)
    .join(',\n');
  return `${headJson},\n  "vocabulary": {\n${vocab}\n  }\n}\n`;
}
