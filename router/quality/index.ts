import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { features } from './features.js';
import { predict } from './logistic.js';
import { parseQualityModel, readQualityModel, type QualityModel } from './model-file.js';

/**
 * The learned quality predictor the `learned` strategy uses: from the prompt text alone,
 * P(the cheap tier's answer is acceptable) and P(the strong tier's answer is acceptable).
 * Their difference is the strong tier's expected gain on this prompt.
 */

export { parseQualityModel, readQualityModel, serializeQualityModel, type QualityModel } from './model-file.js';

export interface QualityPrediction {
  readonly cheap: number;
  readonly strong: number;
}

export interface QualityPredictor {
  predict(text: string): QualityPrediction;
}

export function createQualityPredictor(model: QualityModel): QualityPredictor {
  const m = parseQualityModel(model);
  const cheap = { bias: m.cheap.bias, weights: Float64Array.from(m.cheap.weights) };
  const strong = { bias: m.strong.bias, weights: Float64Array.from(m.strong.weights) };
  return {
    predict(text) {
      const x = features(text, m.buckets);
      return { cheap: predict(cheap, x), strong: predict(strong, x) };
    },
  };
}

/** quality-model.json next to this file (source tree or dist/), else the package's copy seen from dist/. */
export function defaultQualityModelPath(): string {
  const tried = ['./quality-model.json', '../../../router/quality/quality-model.json'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const found = tried.find((p) => existsSync(p));
  if (!found) throw new Error(`quality-model.json not found; looked in: ${tried.join(', ')} (run: npm run train-quality)`);
  return found;
}

let shipped: QualityPredictor | undefined;
let shippedModel: QualityModel | undefined;

/** The shipped model, loaded once per process. */
export function defaultQualityModel(): QualityModel {
  shippedModel ??= readQualityModel(defaultQualityModelPath());
  return shippedModel;
}

/** The shipped predictor, built once per process. */
export function defaultQualityPredictor(): QualityPredictor {
  shipped ??= createQualityPredictor(defaultQualityModel());
  return shipped;
}
