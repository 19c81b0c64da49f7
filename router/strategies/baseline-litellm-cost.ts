/**
 * baseline-litellm-cost: LiteLLM's "cost-based-routing", for comparison.
 * Source: BerriAI/litellm litellm/router_strategy/lowest_cost.py and
 * https://docs.litellm.ai/docs/routing (cost-based-routing).
 *   cost_i = input_cost_per_token_i + output_cost_per_token_i   (list prices)
 *   pick   = argmin_i cost_i   (ties: uniform)
 * Unlike `cost`, no quality tier, no budget and no billed-price correction: LiteLLM sorts
 * by the list price only. RPM/TPM limits are left to the router's admission layer.
 */
import { z } from 'zod';
import { assertCandidates, registerStrategy, type Pick, type PickContext, type Strategy, type StrategyDefinition } from '../core/strategy.js';
import type { Candidate, RouteRequest } from '../core/types.js';
import { lowestIndex } from './lowest.js';

const params = z.strictObject({});
const listCost = (c: Candidate): number => c.endpoint.price.input + c.endpoint.price.output;

class LiteLlmCost implements Strategy {
  readonly name = 'baseline-litellm-cost';
  pick(candidates: readonly Candidate[], _request: RouteRequest, ctx: PickContext): Pick {
    assertCandidates(candidates, this.name);
    const scores = new Array<number>(candidates.length);
    return { index: lowestIndex(candidates, listCost, scores, ctx.random), scores, reason: 'lowest list price (LiteLLM cost-based)' };
  }
}

export const litellmCostStrategy: StrategyDefinition<typeof params> = {
  name: 'baseline-litellm-cost',
  optimises: 'baseline: LiteLLM cost-based-routing (lowest input + output list price)',
  needs: 'prices',
  params,
  create: () => new LiteLlmCost(),
};

registerStrategy(litellmCostStrategy);
