/**
 * cost: the cheapest endpoint that is good enough.
 *   eligible = { tier >= minTier and blended <= maxPrice }        if any
 *            = { tier >= minTier }            (budget cannot be met) if any
 *            = { tier == best tier present }  (tier cannot be met)
 *   pick     = argmin blended price over eligible; prices within a relative epsilon
 *              (p <= minPrice * (1 + epsilon)) tie, and ties go to the lower latency
 *              (untried = 0, so it gets tried), then fewer in-flight, then config order.
 * minTier / maxPrice come from the request, else from params. Three linear passes, no sort.
 */
import { z } from 'zod';
import { assertCandidates, registerStrategy, type Pick, type PickContext, type Strategy, type StrategyDefinition } from '../core/strategy.js';
import type { Candidate, RouteRequest } from '../core/types.js';
import { currentPrice } from './util.js';

const params = z.strictObject({
  /** Default minimum tier when the request sets none. */
  minTier: z.number().int().min(0).default(0),
  /** Default maximum blended price (USD per 1M tokens) when the request sets none. */
  maxPrice: z.number().finite().nonnegative().optional(),
  /** Relative price difference that still counts as a tie (0.001 = 0.1%). */
  epsilon: z.number().min(0).max(1).default(0.001),
});

type Params = z.output<typeof params>;

// Eligibility levels, computed per candidate (cheap) instead of filtered arrays.
const TIER_AND_BUDGET = 2;
const TIER_ONLY = 1;

function eligible(c: Candidate, level: number, minTier: number, maxPrice: number, bestTier: number): boolean {
  const e = c.endpoint;
  if (level === TIER_AND_BUDGET) return e.tier >= minTier && currentPrice(c) <= maxPrice;
  if (level === TIER_ONLY) return e.tier >= minTier;
  return e.tier === bestTier;
}

class Cost implements Strategy {
  readonly name = 'cost';
  constructor(private readonly p: Params) {}

  pick(candidates: readonly Candidate[], request: RouteRequest): Pick {
    assertCandidates(candidates, this.name);
    const n = candidates.length;
    const minTier = request.minTier ?? this.p.minTier;
    const maxPrice = request.maxPrice ?? this.p.maxPrice ?? Infinity;

    // Pass 1: which eligibility level exists, and the best tier present.
    let level = 0;
    let bestTier = -Infinity;
    for (let i = 0; i < n; i++) {
      const c = candidates[i]!;
      const e = c.endpoint;
      if (e.tier > bestTier) bestTier = e.tier;
      if (e.tier >= minTier) level = Math.max(level, currentPrice(c) <= maxPrice ? TIER_AND_BUDGET : TIER_ONLY);
    }

    // Pass 2: cheapest eligible price (the scores in the trace are blended prices).
    const scores = new Array<number>(n);
    let minPrice = Infinity;
    for (let i = 0; i < n; i++) {
      const c = candidates[i]!;
      const price = currentPrice(c);
      scores[i] = price;
      if (eligible(c, level, minTier, maxPrice, bestTier)) minPrice = Math.min(minPrice, price);
    }
    const limit = minPrice * (1 + this.p.epsilon) + 1e-12;

    // Pass 3: among the (near-)cheapest, lowest latency, then fewest in-flight.
    let best = -1;
    let bestLat = Infinity;
    let bestInFlight = Infinity;
    for (let i = 0; i < n; i++) {
      const c = candidates[i]!;
      if (!eligible(c, level, minTier, maxPrice, bestTier) || scores[i]! > limit) continue;
      const lat = c.stats.latencyMs ?? 0;
      if (lat < bestLat || (lat === bestLat && c.stats.inFlight < bestInFlight)) {
        best = i;
        bestLat = lat;
        bestInFlight = c.stats.inFlight;
      }
    }
    const reason =
      level === TIER_AND_BUDGET
        ? 'cheapest meeting tier and budget'
        : level === TIER_ONLY
          ? 'cheapest meeting tier (none within maxPrice)'
          : 'cheapest of the best tier available (none meets minTier)';
    return { index: best < 0 ? 0 : best, scores, reason };
  }
}

export const costStrategy: StrategyDefinition<typeof params> = {
  name: 'cost',
  optimises: 'lowest price per token among endpoints meeting the quality tier and budget',
  needs: 'prices and tiers (latency and in-flight only break ties)',
  params,
  create: (p) => new Cost(p),
};

registerStrategy(costStrategy);
