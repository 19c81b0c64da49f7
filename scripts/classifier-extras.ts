import { mmluPrompts } from '../router/classifier/extra-prompts.js';
import type { LabelledPrompt } from '../router/classifier/corpus.js';
import { prepare } from './quality/training.js';

/**
 * The classifier's extra training prompts: MMLU questions of the training subjects only
 * (the held-out subjects are where both routers' APGR is measured). Shared by
 * `npm run train-classifier` and the test that checks the shipped model.json.
 */
export function classifierExtras(): LabelledPrompt[] {
  return mmluPrompts(prepare().train);
}
