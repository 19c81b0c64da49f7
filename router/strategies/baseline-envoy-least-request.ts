/**
 * baseline-envoy-least-request: Envoy's LEAST_REQUEST load balancer, for comparison.
 * Source: https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers
 * ("Weighted least request") and the LeastRequest proto (choice_count, active_request_bias);
 * code: envoy source/extensions/load_balancing_policies/least_request/least_request_lb.cc.
 *  - all weights equal: draw choice_count (default 2) hosts uniformly WITH replacement and
 *    keep the one with the fewest active requests (a later draw replaces only if strictly
 *    fewer), i.e. P2C;
 *  - weights differ:  weight_i = load_balancing_weight_i / (active_i + 1)^active_request_bias
 *    (bias default 1.0), and pick by weight. Envoy runs an EDF schedule over these weights;
 *    we draw P(i) = weight_i / Σ weight, which has the same expected shares.
 * Envoy's slow start multiplies the weight too, so slowStart is applied in the weighted branch.
 */
import { z } from 'zod';
import { randomInt } from '../core/random.js';
import { assertCandidates, registerStrategy, type Pick, type PickContext, type Strategy, type StrategyDefinition } from '../core/strategy.js';
import type { Candidate, RouteRequest } from '../core/types.js';
import { weightedIndex, type WeightOf } from './weights.js';

const params = z.strictObject({
  choiceCount: z.number().int().min(1).max(64).default(2),
  activeRequestBias: z.number().finite().min(0).max(16).default(1),
});

class EnvoyLeastRequest implements Strategy {
  readonly name = 'baseline-envoy-least-request';
  private readonly weightOf: WeightOf;
  private readonly p2cReason: string;

  constructor(private readonly choiceCount: number, bias: number) {
    this.p2cReason = `p2c (${choiceCount} choices): fewest active requests`;
    // bias 1 is the default and the common case: skip Math.pow there.
    this.weightOf =
      bias === 1
        ? (c) => (c.endpoint.weight * c.health.slowStart) / (c.stats.inFlight + 1)
        : (c) => (c.endpoint.weight * c.health.slowStart) / Math.pow(c.stats.inFlight + 1, bias);
  }

  pick(candidates: readonly Candidate[], _request: RouteRequest, ctx: PickContext): Pick {
    assertCandidates(candidates, this.name);
    const n = candidates.length;
    const w0 = candidates[0]!.endpoint.weight;
    let equal = true;
    for (let i = 1; i < n && equal; i++) equal = candidates[i]!.endpoint.weight === w0;
    if (!equal) return { index: weightedIndex(candidates, ctx.random, this.weightOf), reason: 'weighted: weight / (active + 1)^bias' };
    let best = randomInt(ctx.random, n);
    for (let k = 1; k < this.choiceCount; k++) {
      const j = randomInt(ctx.random, n);
      if (candidates[j]!.stats.inFlight < candidates[best]!.stats.inFlight) best = j;
    }
    return { index: best, reason: this.p2cReason };
  }
}

export const envoyLeastRequestStrategy: StrategyDefinition<typeof params> = {
  name: 'baseline-envoy-least-request',
  optimises: 'baseline: Envoy least request (P2C; weight / (active + 1)^bias when weights differ)',
  needs: 'in-flight counts, endpoint weights',
  params,
  create: (p) => new EnvoyLeastRequest(p.choiceCount, p.activeRequestBias),
};

registerStrategy(envoyLeastRequestStrategy);
