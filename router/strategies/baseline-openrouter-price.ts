/**
 * baseline-openrouter-price: OpenRouter's default provider load balancing, for comparison.
 * Source: https://openrouter.ai/docs/features/provider-routing ("Price-Based Load
 * Balancing (Default Strategy)"): prioritise providers with no significant outage in the
 * last 30 seconds; among those, choose weighted by the inverse square of the price.
 *   stable = { i : lastFailureAt_i is null or now - lastFailureAt_i >= 30 s }  (all, if empty)
 *   P(i)   = (1 / price_i^2) / Σ_stable (1 / price_j^2)
 * price_i = blended (input + output) / 2 (any common scale gives the same shares); prices
 * below 1e-6 are clamped there, so free endpoints take nearly all traffic instead of
 * dividing by zero. "Outage" is read as "any failure" (our stats carry lastFailureAt).
 * The router's slowStart multiplies the weight, like every weighted strategy here.
 */
import { z } from 'zod';
import { assertCandidates, registerStrategy, type Pick, type PickContext, type Strategy, type StrategyDefinition } from '../core/strategy.js';
import type { Candidate, RouteRequest } from '../core/types.js';
import { currentPrice } from './util.js';
import { weightedIndex } from './weights.js';

const params = z.strictObject({
  /** Failures newer than this make an endpoint "unstable". */
  failureWindowMs: z.number().finite().nonnegative().default(30_000),
  /** The price exponent (2 = inverse square). */
  exponent: z.number().finite().min(0).max(8).default(2),
});

type Params = z.output<typeof params>;

const MIN_PRICE = 1e-6;

class OpenRouterPrice implements Strategy {
  readonly name = 'baseline-openrouter-price';
  // Scratch read by the weight callback (set per pick) so the callback is allocated once.
  private now = 0;
  private useAll = false;
  private readonly weightOf = (c: Candidate): number => {
    if (!this.useAll && !this.stable(c)) return 0;
    const p = Math.max(currentPrice(c), MIN_PRICE);
    const inv = this.p.exponent === 2 ? 1 / (p * p) : Math.pow(p, -this.p.exponent);
    return inv * c.health.slowStart;
  };

  constructor(private readonly p: Params) {}

  pick(candidates: readonly Candidate[], _request: RouteRequest, ctx: PickContext): Pick {
    assertCandidates(candidates, this.name);
    this.now = ctx.now;
    this.useAll = true;
    for (let i = 0; i < candidates.length; i++)
      if (this.stable(candidates[i]!)) {
        this.useAll = false;
        break;
      }
    const index = weightedIndex(candidates, ctx.random, this.weightOf);
    return { index, reason: this.useAll ? 'all failed recently; 1/price^2 over all' : '1/price^2 over endpoints with no failure in 30 s' };
  }

  private stable(c: Candidate): boolean {
    const t = c.stats.lastFailureAt;
    return t === null || this.now - t >= this.p.failureWindowMs;
  }
}

export const openrouterPriceStrategy: StrategyDefinition<typeof params> = {
  name: 'baseline-openrouter-price',
  optimises: 'baseline: OpenRouter default, P ∝ 1/price^2 among endpoints with no failure in 30 s',
  needs: 'prices, last failure time',
  params,
  create: (p) => new OpenRouterPrice(p),
};

registerStrategy(openrouterPriceStrategy);
