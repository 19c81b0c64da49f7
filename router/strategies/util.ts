/**
 * Small pure helpers shared by strategies: how much an endpoint costs, how much weight it
 * carries right now, how good it is for a prompt class. Kept here so every strategy reads
 * these the same way (the README table and the simulator's oracle rely on it).
 */
import type { Candidate, Endpoint } from '../core/types.js';

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
