/**
 * baseline-litellm-shuffle: LiteLLM's default "simple-shuffle", for comparison.
 * Source: BerriAI/litellm litellm/router_strategy/simple_shuffle.py and
 * https://docs.litellm.ai/docs/routing (simple-shuffle).
 *   w_i = litellm_params.weight, else rpm, else tpm (the first that the deployments set)
 *   P(i) = w_i / Σw ;  no weights set: uniform
 * `by` says which field LiteLLM would read (the importer sets it from the config):
 * 'weight' = endpoint.weight, 'rpm'/'tpm' = endpoint.limits.rpm/tpm (unset = 0),
 * 'uniform' = every healthy deployment alike. No slow start and no load term: LiteLLM has
 * neither.
 */
import { z } from 'zod';
import { randomInt } from '../core/random.js';
import { assertCandidates, registerStrategy, type Pick, type PickContext, type Strategy, type StrategyDefinition } from '../core/strategy.js';
import type { Candidate, RouteRequest } from '../core/types.js';
import { weightedIndex, type WeightOf } from './weights.js';

const params = z.strictObject({
  /** Which deployment field the weighted pick reads (LiteLLM: weight, else rpm, else tpm). */
  by: z.enum(['weight', 'rpm', 'tpm', 'uniform']).default('weight'),
});

const WEIGHT_OF: Record<'weight' | 'rpm' | 'tpm', WeightOf> = {
  weight: (c: Candidate) => c.endpoint.weight,
  rpm: (c: Candidate) => c.endpoint.limits.rpm ?? 0,
  tpm: (c: Candidate) => c.endpoint.limits.tpm ?? 0,
};

class LiteLlmShuffle implements Strategy {
  readonly name = 'baseline-litellm-shuffle';
  constructor(private readonly by: z.output<typeof params>['by']) {}

  pick(candidates: readonly Candidate[], _request: RouteRequest, ctx: PickContext): Pick {
    assertCandidates(candidates, this.name);
    if (this.by === 'uniform') return { index: randomInt(ctx.random, candidates.length), reason: 'uniform shuffle (LiteLLM)' };
    return { index: weightedIndex(candidates, ctx.random, WEIGHT_OF[this.by]), reason: `random by ${this.by} (LiteLLM simple-shuffle)` };
  }
}

export const litellmShuffleStrategy: StrategyDefinition<typeof params> = {
  name: 'baseline-litellm-shuffle',
  optimises: 'baseline: LiteLLM simple-shuffle (random, weighted by weight, else rpm, else tpm)',
  needs: 'endpoint weights or rpm/tpm limits',
  params,
  create: (p) => new LiteLlmShuffle(p.by),
};

registerStrategy(litellmShuffleStrategy);
