/**
 * score: one number per endpoint from four normalised terms, lowest wins.
 *   lat_i   = (latencyMs_i ?? min known latency) * (inFlight_i + 1)   (load-aware, like latency)
 *   err_i   = 1 - (successRate_i ?? 1)
 *   q_i     = endpoint.quality[promptClass] ?? quality.default ?? params.defaultQuality
 *   score_i = wL * lat_i / max_j lat_j  +  wE * err_i  +  wC * price_i / max_j price_j
 *           + wQ * (1 - q_i)
 * Every term is in [0, 1]; dividing by the max keeps relative differences (100 ms vs 101 ms
 * stays a 1% gap, unlike min-max scaling). Scores within 1e-9 tie and the tie is settled by
 * a uniform draw (reservoir sampling, one pass). Deterministic given the seed.
 */
import { z } from 'zod';
import { assertCandidates, registerStrategy, type Pick, type PickContext, type Strategy, type StrategyDefinition } from '../core/strategy.js';
import type { Candidate, RouteRequest } from '../core/types.js';
import { currentPrice, qualityFor } from './util.js';

const weights = z.strictObject({
  latency: z.number().finite().min(0).default(1),
  errors: z.number().finite().min(0).default(1),
  cost: z.number().finite().min(0).default(1),
  quality: z.number().finite().min(0).default(1),
});

const params = z.strictObject({
  weights: weights.default({ latency: 1, errors: 1, cost: 1, quality: 1 }),
  /** Quality assumed when an endpoint states none for the class nor a default. */
  defaultQuality: z.number().min(0).max(1).default(0.5),
});

type Params = z.output<typeof params>;

const TIE = 1e-9;

class Score implements Strategy {
  readonly name = 'score';
  constructor(private readonly p: Params) {}

  pick(candidates: readonly Candidate[], request: RouteRequest, ctx: PickContext): Pick {
    assertCandidates(candidates, this.name);
    const n = candidates.length;
    // Pass 1: the scales (min known latency for untried, max latency and price).
    let minLat = Infinity;
    for (let i = 0; i < n; i++) {
      const l = candidates[i]!.stats.latencyMs;
      if (l !== null && l < minLat) minLat = l;
    }
    if (minLat === Infinity) minLat = 0;
    let maxLat = 0;
    let maxPrice = 0;
    for (let i = 0; i < n; i++) {
      const c = candidates[i]!;
      maxLat = Math.max(maxLat, this.load(c, minLat));
      maxPrice = Math.max(maxPrice, currentPrice(c));
    }
    // Pass 2: score, argmin with a uniform draw among ties.
    const w = this.p.weights;
    const scores = new Array<number>(n);
    let best = 0;
    let bestScore = Infinity;
    let ties = 0;
    for (let i = 0; i < n; i++) {
      const c = candidates[i]!;
      const s =
        (maxLat > 0 ? (w.latency * this.load(c, minLat)) / maxLat : 0) +
        w.errors * (1 - (c.stats.successRate ?? 1)) +
        (maxPrice > 0 ? (w.cost * currentPrice(c)) / maxPrice : 0) +
        w.quality * (1 - qualityFor(c.endpoint, request.promptClass, this.p.defaultQuality));
      scores[i] = s;
      if (s < bestScore - TIE) {
        best = i;
        bestScore = s;
        ties = 1;
      } else if (s <= bestScore + TIE) {
        ties += 1;
        if (ctx.random.next() * ties < 1) best = i; // keep each tied one with prob 1/ties
        bestScore = Math.min(bestScore, s);
      }
    }
    return { index: best, scores, reason: 'lowest weighted score (latency, errors, cost, quality)' };
  }

  private load(c: Candidate, minLat: number): number {
    return (c.stats.latencyMs ?? minLat) * (c.stats.inFlight + 1);
  }
}

export const scoreStrategy: StrategyDefinition<typeof params> = {
  name: 'score',
  optimises: 'a weighted sum of normalised latency, error rate, cost and quality (lowest wins)',
  needs: 'latency, success rate, prices, quality per prompt class',
  params,
  create: (p) => new Score(p),
};

registerStrategy(scoreStrategy);
