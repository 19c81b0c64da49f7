import { randomInt, seededRandom } from '../core/random.js';
import type { SparseVector } from './features.js';

/**
 * Logistic regression on sparse vectors:
 *   p(y = 1 | x) = σ(b + w·x),   σ(z) = 1 / (1 + e^(−z))
 * trained by AdaGrad SGD on the log loss with L2 regularisation (λ/2·|w|², applied to the
 * weights a sample touches, scaled by its share of the data), a fixed number of epochs
 * over a seeded shuffle. Plain double arithmetic in a fixed order: the same data, options
 * and seed give bit-identical weights, so the shipped model file is reproducible.
 */

export interface LogisticOptions {
  epochs: number;
  /** AdaGrad base learning rate. */
  learningRate: number;
  /** L2 strength λ. */
  l2: number;
  seed: number;
}

export interface LogisticModel {
  bias: number;
  weights: Float64Array;
}

export interface Example {
  readonly x: SparseVector;
  /** Target in [0, 1] (1/0 for a binary label). */
  readonly y: number;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** σ(b + w·x). */
export function predict(model: { bias: number; weights: ArrayLike<number> }, x: SparseVector): number {
  let z = model.bias;
  for (let i = 0; i < x.index.length; i++) z += model.weights[x.index[i]!]! * x.value[i]!;
  return sigmoid(z);
}

export function trainLogistic(examples: readonly Example[], width: number, o: LogisticOptions): LogisticModel {
  if (examples.length === 0) throw new Error('trainLogistic: no examples');
  const w = new Float64Array(width);
  const g2 = new Float64Array(width).fill(1e-8);
  let b = 0;
  let gb2 = 1e-8;
  const random = seededRandom(`logistic:${o.seed}`);
  const order = Array.from({ length: examples.length }, (_, i) => i);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = randomInt(random, i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const k of order) {
      const { x, y } = examples[k]!;
      const err = predict({ bias: b, weights: w }, x) - y;
      for (let i = 0; i < x.index.length; i++) {
        const s = x.index[i]!;
        const g = err * x.value[i]! + o.l2 * w[s]!;
        g2[s]! += g * g;
        w[s]! -= (o.learningRate * g) / Math.sqrt(g2[s]!);
      }
      gb2 += err * err;
      b -= (o.learningRate * err) / Math.sqrt(gb2);
    }
  }
  return { bias: b, weights: w };
}
