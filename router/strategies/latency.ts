/**
 * latency: power of two choices with memory on latency times load (Finagle P2CPeakEwma,
 * tower PeakEwma; the memory: Mitzenmacher, Prabhakar & Shah, "Load balancing with memory", 2002):
 *   cost_i = latencyMs_i * (inFlight_i + 1)^beta / slowStart_i * price_i^gamma / successRate_i^k
 *   pick   = the cheaper of the last pick's endpoint and one other drawn at random
 *            (params.memory; without it, or when the last pick's endpoint is gone: two at random)
 * Why the memory (issue 20): with plain P2C over 3 hosts the middle one wins every pair it
 * shares with the worst, so it keeps about a third of the traffic however much slower or dearer
 * than the best it is. In stream-faults that kept 25-35% on steady-a (slower, dearer) after the
 * faulty host lost its pairs, and LiteLLM's herd onto steady-b dominated latency on p99 (+1.06 s)
 * and cost; in provider-faults the dear groq host kept 18% of the first 20 s and OpenRouter's
 * 1/price^2 was cheaper. Against the remembered winner a host must be cheaper under load to take
 * a request, so traffic stays on the best host until its load (or a fault) makes another better;
 * a pick also draws one random number instead of two.
 * beta = params.loadExponent (default 0.5): LLM hosts serve many requests at once, so a request
 * more in flight adds little latency until a host saturates (when its recent latency shows it);
 * with beta 1 the load term still spread stream-faults' traffic (LiteLLM still significantly
 * ahead on p99 and cost with the memory alone; npm run standings).
 * gamma = params.priceExponent (default 4: a host twice as dear must be 16 times as fast
 * under load to win the pair; 0 = price-blind, the pure Finagle cost). Without the price
 * term OpenRouter's price weighting was as fast and significantly cheaper in 8 of 12 scenarios.
 * latencyMs_i is, by default (params.latencySignal 'recent'), util.ts recentLatency: the mean of
 * the last 10 successes (the peak-EWMA when larger after a failure), not the peak-EWMA alone,
 * whose decay toward 0 on an idle host kept re-trying the dear host and whose peaks made the
 * busiest host look slowest. k = params.errorExponent (default 4; successRate windowed, floored
 * at 0.01, 1 when unknown): failures count as latency samples, but a stream cut 200 ms in is a
 * fast failure and made a failing host look fast.
 * Measured (npm run standings, seeds 1..10 and held out +100): with the memory, beta 0.5 and the
 * priced untried penalty (below), latency is dominated by no peer in any scenario (before: 3 and
 * 2: provider-faults and quality-cost by OpenRouter on cost, stream-faults by LiteLLM).
 * An untried endpoint (latencyMs null) is costed at params.untriedLatencyMs (default 0:
 * optimistic, so it is explored). If that estimate is 0 while requests are already
 * outstanding, cost = (UNTRIED_PENALTY + inFlight) x price^gamma (Finagle's penalty, priced): it
 * is probed one request at a time until its first sample lands, instead of being flooded, and
 * of two untried endpoints the cheaper is probed first (unpriced, the two alternated until the
 * first reply: quality-cost sent ~10 requests per run to the host 30x dearer).
 */
import { z } from 'zod';
import { assertCandidates, registerStrategy, type Pick, type PickContext, type Strategy, type StrategyDefinition } from '../core/strategy.js';
import type { Candidate, RouteRequest } from '../core/types.js';
import { p2cIndex, type LoadOf } from './p2c.js';
import { randomInt } from '../core/random.js';
import { currentPrice, recentLatency } from './util.js';

const params = z.strictObject({
  /** Latency assumed for an endpoint with no sample yet (ms). */
  untriedLatencyMs: z.number().finite().nonnegative().default(0),
  /** gamma in cost_i x price_i^gamma: 0 = price-blind; small values let price break near-ties. */
  priceExponent: z.number().finite().min(0).max(4).default(4),
  /** latencyMs_i: 'recent' (util.ts recentLatency, the default) or 'peak-ewma' (the Finagle estimate). */
  latencySignal: z.enum(['recent', 'peak-ewma']).default('recent'),
  /** k in cost_i / successRate_i^k (windowed; 0 = error-blind, the pure Finagle cost). */
  errorExponent: z.number().finite().min(0).max(16).default(4),
  /** beta in (inFlight + 1)^beta: 1 = Finagle's linear load term, 0 = load-blind. */
  loadExponent: z.number().finite().min(0).max(2).default(0.5),
  /** Compare the last pick's endpoint with one random other (true) or two random ones (plain P2C). */
  memory: z.boolean().default(true),
});

/** Large enough to lose to any real latency, small enough that + inFlight still orders. */
export const UNTRIED_PENALTY = 1e12;

/** The latency-times-load cost above, for a given untried estimate, price, error and load exponents and latency signal. */
export function peakEwmaLoad(untriedLatencyMs: number, priceExponent = 0, errorExponent = 0, recent = false, loadExponent = 1): LoadOf {
  // beta 0.5 (the default) and 1 skip Math.pow.
  const sqrt = loadExponent === 0.5;
  const linear = loadExponent === 1;
  return (c) => {
    const lat = (recent ? recentLatency(c.stats) : c.stats.latencyMs) ?? untriedLatencyMs;
    const inFlight = c.stats.inFlight;
    let cost =
      lat === 0 && inFlight > 0
        ? UNTRIED_PENALTY + inFlight
        : (lat * (sqrt ? Math.sqrt(inFlight + 1) : linear ? inFlight + 1 : Math.pow(inFlight + 1, loadExponent))) / c.health.slowStart;
    // gamma 1, 2 and 4 and k 4 (the defaults) skip Math.pow: a multiply or two per load read.
    if (priceExponent === 4) {
      const p = Math.max(currentPrice(c), PRICE_FLOOR);
      const p2 = p * p;
      cost *= p2 * p2;
    } else if (priceExponent === 2) {
      const p = Math.max(currentPrice(c), PRICE_FLOOR);
      cost *= p * p;
    } else if (priceExponent === 1) cost *= Math.max(currentPrice(c), PRICE_FLOOR);
    else if (priceExponent > 0) cost *= Math.pow(Math.max(currentPrice(c), PRICE_FLOOR), priceExponent);
    if (errorExponent > 0) {
      const sr = c.stats.successRate;
      if (sr !== null && sr < 1) {
        const x = Math.max(sr, SR_FLOOR);
        if (errorExponent === 4) {
          const x2 = x * x;
          cost /= x2 * x2;
        } else cost /= Math.pow(x, errorExponent);
      }
    }
    return cost;
  };
}

/** Success rates below this count as this in the error factor (a dead host costs 100^k, not infinity). */
const SR_FLOOR = 0.01;

/** Prices below this (USD per 1M tokens) count as this in the price factor. */
const PRICE_FLOOR = 0.01;

class Latency implements Strategy {
  readonly name = 'latency';
  /** The last pick's endpoint id and its index then (checked first: the set rarely changes). */
  private lastId: string | undefined = undefined;
  private lastIndex = 0;
  constructor(private readonly loadOf: LoadOf, private readonly memory: boolean) {}
  pick(candidates: readonly Candidate[], _request: RouteRequest, ctx: PickContext): Pick {
    assertCandidates(candidates, this.name);
    if (!this.memory) return { index: p2cIndex(candidates, ctx.random, this.loadOf), reason: 'p2c: lower recent latency x (in-flight + 1)' };
    const n = candidates.length;
    let m = this.lastIndex;
    if (m >= n || candidates[m]!.endpoint.id !== this.lastId) {
      m = -1;
      for (let i = 0; i < n; i++) if (candidates[i]!.endpoint.id === this.lastId) m = i;
    }
    let index: number;
    if (n === 1) index = 0;
    else if (m < 0) index = p2cIndex(candidates, ctx.random, this.loadOf);
    else {
      // One other at random (never the remembered one). Ties go to the challenger, so an untried
      // host (costed 0) is still explored against one that measured 0 ms, and equal hosts share.
      let r = randomInt(ctx.random, n - 1);
      if (r >= m) r += 1;
      index = this.loadOf(candidates[r]!) <= this.loadOf(candidates[m]!) ? r : m;
    }
    this.lastIndex = index;
    this.lastId = candidates[index]!.endpoint.id;
    return { index, reason: 'p2c with memory: lower recent latency x (in-flight + 1)^beta x price^gamma' };
  }
}

export const latencyStrategy: StrategyDefinition<typeof params> = {
  name: 'latency',
  optimises: 'lowest expected latency under load, price and errors weighing in (P2C with memory on recent latency x (in-flight + 1)^0.5 x price^4 / success rate^4)',
  needs: 'latency samples and in-flight counts, windowed success rate, prices',
  params,
  create: (p) => new Latency(peakEwmaLoad(p.untriedLatencyMs, p.priceExponent, p.errorExponent, p.latencySignal === 'recent', p.loadExponent), p.memory),
};

registerStrategy(latencyStrategy);
