/**
 * Weighted draws shared by weighted-random, adaptive, Envoy and OpenRouter baselines.
 * A linear scan over the candidates: no arrays, no sorting (picks run millions of times).
 */
import { randomInt, type Random } from '../core/random.js';
import type { Candidate } from '../core/types.js';
import { sane } from './util.js';

/** Weight of candidate i; must be cheap and side-effect free (it is called twice per draw). */
export type WeightOf = (c: Candidate, i: number) => number;

/**
 * Draw index i with probability w_i / Σw:
 *   r = U[0,1) * Σw ;  return the first i with  w_0 + ... + w_i > r
 * Negative, NaN and infinite weights count as 0. When Σw is 0 every candidate is equally
 * likely (never a crash, never a silent "always index 0").
 */
export function weightedIndex(candidates: readonly Candidate[], random: Random, weightOf: WeightOf): number {
  const n = candidates.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += sane(weightOf(candidates[i]!, i));
  if (!(total > 0) || total === Infinity) return randomInt(random, n);
  let r = random.next() * total;
  let last = 0;
  for (let i = 0; i < n; i++) {
    const w = sane(weightOf(candidates[i]!, i));
    if (w === 0) continue;
    last = i;
    r -= w;
    if (r < 0) return i;
  }
  return last; // only reached through float rounding at the very top of the range
}
