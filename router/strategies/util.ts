/**
 * Small pure helpers shared by strategies: how much an endpoint costs, how much weight it
 * carries right now, how good it is for a prompt class. Kept here so every strategy reads
 * these the same way (the README table and the simulator's oracle rely on it).
 */
import type { Candidate, Endpoint, StatsSnapshot } from '../core/types.js';

/**
 * Blended price in USD per 1M tokens: the plain average of input and output prices,
 *   blended = (price.input + price.output) / 2
 * the same unit as RouteRequest.maxPrice.
 */
export function blendedPrice(endpoint: Endpoint): number {
  return (endpoint.price.input + endpoint.price.output) / 2;
}

/**
 * The price a strategy should compare now: the list price scaled by what the endpoint
 * actually billed lately (stats.priceFactor, 1 when unknown),
 *   current = blendedPrice(endpoint) * priceFactor
 */
export function currentPrice(c: Candidate): number {
  return blendedPrice(c.endpoint) * (c.stats.priceFactor ?? 1);
}

/**
 * The weight a weighted strategy should use now:
 *   w = endpoint.weight * health.slowStart
 * so an endpoint that just recovered ramps up instead of taking its full share at once.
 */
export function effectiveWeight(c: Candidate): number {
  return c.endpoint.weight * c.health.slowStart;
}

/** Quality for a prompt class: quality[class], else quality.default, else `fallback`. */
export function qualityFor(endpoint: Endpoint, promptClass: string | undefined, fallback: number): number {
  if (promptClass !== undefined) {
    const q = endpoint.quality[promptClass];
    if (q !== undefined) return q;
  }
  return endpoint.quality['default'] ?? fallback;
}

/** A finite, non-negative number, or 0 (guards weights against NaN/Infinity/negatives). */
export function sane(x: number): number {
  return x > 0 && x < Infinity ? x : 0;
}

/**
 * A latency estimate that does not depend on how much traffic an endpoint takes: the mean of
 * its last (up to 10) successful latencies, or the peak-EWMA when that is larger and the latest
 * outcome was a failure (a timeout still shows at once); the peak-EWMA when no success is listed.
 *   recent = mean(recentLatenciesMs)            (max(recent, latencyMs) after a failure)
 * The peak-EWMA alone jumps to each slower sample and decays over its tau, so a host taking
 * 25 req/s reads near its recent maximum and one taking 3 req/s near its median (and an idle
 * one decays toward 0): adaptive and latency read this instead (issue 20, stream-faults).
 */
export function recentLatency(st: StatsSnapshot): number | null {
  let mean = st.recentMeanMs;
  if (mean === undefined) {
    const xs = st.recentLatenciesMs;
    if (xs.length === 0) return st.latencyMs;
    let sum = 0;
    for (let i = 0; i < xs.length; i++) sum += xs[i]!;
    mean = sum / xs.length;
  } else if (mean === null) return st.latencyMs;
  const failedLast = st.lastFailureAt !== null && (st.lastSuccessAt === null || st.lastFailureAt > st.lastSuccessAt);
  return failedLast && st.latencyMs !== null && st.latencyMs > mean ? st.latencyMs : mean;
}
