/**
 * "Pick the lowest score" shared by the gateway baselines (LiteLLM least-busy,
 * usage-based, cost-based). One pass, no arrays:
 *   lowest = min_i score_i ;  pick among { i : score_i = lowest }
 * With a Random, ties are broken uniformly (reservoir sampling: the k-th tie replaces the
 * pick with probability 1/k), as LiteLLM does by shuffling first; without, the first wins
 * (LiteLLM's least-busy iterates its dict and keeps a strictly smaller count only).
 */
import type { Random } from '../core/random.js';
import type { Candidate } from '../core/types.js';

export function lowestIndex(
  candidates: readonly Candidate[],
  scoreOf: (c: Candidate, i: number) => number,
  scores: number[],
  random: Random | null,
): number {
  let best = 0;
  let lowest = Infinity;
  let ties = 0;
  for (let i = 0; i < candidates.length; i++) {
    const s = scoreOf(candidates[i]!, i);
    scores[i] = s;
    if (s < lowest) {
      lowest = s;
      best = i;
      ties = 1;
    } else if (s === lowest && random !== null) {
      ties += 1;
      if (random.next() * ties < 1) best = i;
    }
  }
  return best;
}
