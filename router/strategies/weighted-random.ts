/**
 * weighted-random: P(i) = w_i / Σw with
 *   w_i = (params.weights[id_i] ?? endpoint.weight) * health.slowStart
 * Stateless, so several router instances need no coordination (unlike SWRR's cursor).
 */
import { z } from 'zod';
import { assertCandidates, registerStrategy, type Pick, type PickContext, type Strategy, type StrategyDefinition } from '../core/strategy.js';
import type { Candidate, RouteRequest } from '../core/types.js';
import { overrideWeightOf, weightRefs } from './weighted.js';
import { weightedIndex, type WeightOf } from './weights.js';

const params = z.strictObject({
  /** Per-endpoint-id weight overrides (> 0); endpoints not listed keep endpoint.weight. */
  weights: z.record(z.string().min(1), z.number().finite().positive()).default({}),
});

class WeightedRandom implements Strategy {
  readonly name = 'weighted-random';
  constructor(private readonly weightOf: WeightOf) {}

  pick(candidates: readonly Candidate[], _request: RouteRequest, ctx: PickContext): Pick {
    assertCandidates(candidates, this.name);
    return { index: weightedIndex(candidates, ctx.random, this.weightOf), reason: 'weighted random draw' };
  }
}

export const weightedRandomStrategy: StrategyDefinition<typeof params> = {
  name: 'weighted-random',
  optimises: 'expected shares proportional to weights, stateless',
  needs: 'endpoint weights (or params.weights by endpoint id)',
  params,
  create: (p) => new WeightedRandom(overrideWeightOf(p.weights)),
  endpointRefs: (p) => weightRefs(p.weights),
};

registerStrategy(weightedRandomStrategy);
