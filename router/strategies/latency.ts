/**
 * latency: power of two choices on peak-EWMA latency times load (Finagle P2CPeakEwma,
 * tower PeakEwma):
 *   cost_i = latencyMs_i * (inFlight_i + 1) / slowStart_i * price_i^gamma / successRate_i^k
 * with gamma = params.priceExponent (default 4: a host twice as dear must be 16 times as fast
 * under load to win the pair; 0 = price-blind, the pure Finagle cost). Without the price
 * term OpenRouter's price weighting was as fast and significantly cheaper in 8 of 12 scenarios;
 * with gamma 1 (and k = 4) in 8 of 13 on seeds 1..10, with 2 in 6 (3: still dominated on cost in
 * price-shift, provider-faults and quality-cost; npm run standings).
 * latencyMs_i is, by default (params.latencySignal 'recent'), util.ts recentLatency: the mean of
 * the last 10 successes (the peak-EWMA when larger after a failure), not the peak-EWMA alone,
 * whose decay toward 0 on an idle host kept re-trying the dear host and whose peaks made the
 * busiest host look slowest. With 'recent' and gamma 4, latency is dominated by a peer in 3
 * scenarios on seeds 1..10 (provider-faults and quality-cost on cost by OpenRouter,
 * stream-faults by LiteLLM) and 2 held out (+100), from 7 and 3 with the peak-EWMA and gamma 2;
 * 'recent' with gamma 2 left 4 and added replicas-outage (OpenRouter, +0.03% errors), with
 * gamma 3 it added price-shift held out. k =
 * params.errorExponent (default 4; successRate windowed, floored at 0.01, 1 when unknown):
 * failures count as latency samples, but a stream cut 200 ms in is a fast failure and made a
 * failing host look fast (stream-faults: 20% of traffic on the host cutting 24% of its streams).
 * An untried endpoint (latencyMs null) is costed at params.untriedLatencyMs (default 0:
 * optimistic, so it is explored). If that estimate is 0 while requests are already
 * outstanding, cost = UNTRIED_PENALTY + inFlight (Finagle's penalty): it is probed one request at
 * a time until its first sample lands, instead of being flooded.
 */
import { z } from 'zod';
import { assertCandidates, registerStrategy, type Pick, type PickContext, type Strategy, type StrategyDefinition } from '../core/strategy.js';
import type { Candidate, RouteRequest } from '../core/types.js';
import { p2cIndex, type LoadOf } from './p2c.js';
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
});

/** Large enough to lose to any real latency, small enough that + inFlight still orders. */
export const UNTRIED_PENALTY = 1e12;

/** The latency-times-load cost above, for a given untried estimate, price and error exponents and latency signal. */
export function peakEwmaLoad(untriedLatencyMs: number, priceExponent = 0, errorExponent = 0, recent = false): LoadOf {
  return (c) => {
    const lat = (recent ? recentLatency(c.stats) : c.stats.latencyMs) ?? untriedLatencyMs;
    const inFlight = c.stats.inFlight;
    if (lat === 0 && inFlight > 0) return UNTRIED_PENALTY + inFlight;
    let cost = (lat * (inFlight + 1)) / c.health.slowStart;
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
  constructor(private readonly loadOf: LoadOf) {}
  pick(candidates: readonly Candidate[], _request: RouteRequest, ctx: PickContext): Pick {
    assertCandidates(candidates, this.name);
    return { index: p2cIndex(candidates, ctx.random, this.loadOf), reason: 'p2c: lower recent latency x (in-flight + 1)' };
  }
}

export const latencyStrategy: StrategyDefinition<typeof params> = {
  name: 'latency',
  optimises: 'lowest expected latency under load, price and errors weighing in (P2C on recent latency x (in-flight + 1) x price^4 / success rate^4)',
  needs: 'latency samples and in-flight counts, windowed success rate, prices',
  params,
  create: (p) => new Latency(peakEwmaLoad(p.untriedLatencyMs, p.priceExponent, p.errorExponent, p.latencySignal === 'recent')),
};

registerStrategy(latencyStrategy);
