import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Classifier } from '../core/strategy.js';
import { compileNaiveBayes, type NaiveBayesModel } from './naive-bayes.js';
import { parseModel, readModelFile } from './model-file.js';
import { tokenize } from './tokenize.js';

/**
 * The prompt classifier the `classifier` strategy uses by default: binarized multinomial
 * naive Bayes over word + code-shape tokens, trained by train.ts on data/prompts and
 * shipped as model.json. `scores` are posterior probabilities (they sum to 1); the
 * label's score is the classifier's confidence.
 */

export { PROMPT_CLASSES, isPromptClass, type PromptClass } from './classes.js';
export type { NaiveBayesModel } from './naive-bayes.js';
export type { ShippedModel, TrainingMeta } from './model-file.js';

/** Build a Classifier from a model (validated first; log-probabilities precomputed once). */
export function createNaiveBayesClassifier(model: NaiveBayesModel): Classifier {
  const valid = parseModel(model);
  const nb = compileNaiveBayes(valid);
  const classes = Object.freeze([...valid.classes]);
  return {
    classes,
    classify(text: string) {
      const { index, posteriors } = nb.predict(tokenize(text));
      const scores: Record<string, number> = {};
      classes.forEach((c, i) => (scores[c] = posteriors[i]!));
      return { label: classes[index]!, scores };
    },
  };
}

/**
 * Where model.json is: next to this file (source tree, or dist/ after the build copies
 * it), else the package's router/classifier/model.json seen from dist/router/classifier.
 */
export function defaultModelPath(): string {
  const tried = ['./model.json', '../../../router/classifier/model.json'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const found = tried.find((p) => existsSync(p));
  if (!found) throw new Error(`classifier model.json not found; looked in: ${tried.join(', ')} (run: npm run train-classifier)`);
  return found;
}

let shipped: Classifier | undefined;

/** The shipped classifier, loaded once per process. */
export function defaultClassifier(): Classifier {
  shipped ??= createNaiveBayesClassifier(readModelFile(defaultModelPath()));
  return shipped;
}
