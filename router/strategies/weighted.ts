/**
 * weighted: nginx smooth weighted round robin (see swrr.ts) over
 *   w_i = (params.weights[id_i] ?? endpoint.weight) * health.slowStart
 * Exact shares w_i / Σw over every Σw picks, evenly interleaved; no randomness.
 */
import { z } from 'zod';
import { randomInt } from '../core/random.js';
import { assertCandidates, registerStrategy, type Pick, type PickContext, type Strategy, type StrategyDefinition } from '../core/strategy.js';
import type { Candidate, RouteRequest } from '../core/types.js';
import { SmoothWeightedRoundRobin } from './swrr.js';
import type { WeightOf } from './weights.js';

const params = z.strictObject({
  /** Per-endpoint-id weight overrides (> 0); endpoints not listed keep endpoint.weight. */
  weights: z.record(z.string().min(1), z.number().finite().positive()).default({}),
});

/** endpoint.weight (or the override) times the slow-start multiplier. */
export function overrideWeightOf(overrides: Readonly<Record<string, number>>): WeightOf {
  const map = new Map(Object.entries(overrides));
  return (c) => (map.get(c.endpoint.id) ?? c.endpoint.weight) * c.health.slowStart;
}

/** The endpoint ids a weights override names (checked against the router's endpoints). */
export function weightRefs(overrides: Readonly<Record<string, number>>): Array<readonly [string, string]> {
  return Object.keys(overrides).map((id) => [`weights.${id}`, id] as const);
}

class Weighted implements Strategy {
  readonly name = 'weighted';
  private readonly swrr = new SmoothWeightedRoundRobin();
  constructor(private readonly weightOf: WeightOf) {}

  pick(candidates: readonly Candidate[], _request: RouteRequest, ctx: PickContext): Pick {
    assertCandidates(candidates, this.name);
    const i = this.swrr.pick(candidates, this.weightOf);
    if (i < 0) return { index: randomInt(ctx.random, candidates.length), reason: 'weighted: all weights 0, uniform' };
    return { index: i, reason: 'smooth weighted round robin' };
  }
}

export const weightedStrategy: StrategyDefinition<typeof params> = {
  name: 'weighted',
  optimises: 'shares proportional to configured weights, smoothly interleaved (nginx SWRR)',
  needs: 'endpoint weights (or params.weights by endpoint id)',
  params,
  create: (p) => new Weighted(overrideWeightOf(p.weights)),
  endpointRefs: (p) => weightRefs(p.weights),
};

registerStrategy(weightedStrategy);
