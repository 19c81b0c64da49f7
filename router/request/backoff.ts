import type { Random } from '../core/random.js';

/**
 * Exponential backoff with "full jitter" (AWS Architecture Blog, 2015): spreading retries
 * uniformly over [0, cap) de-synchronises clients that failed together.
 *
 *   delay(n) = U[0, 1) * min(maxMs, baseMs * 2^(n - 1))      n = 1 for the first retry
 */
export function fullJitterBackoff(random: Random, n: number, baseMs: number, maxMs: number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.max(0, n - 1));
  return random.next() * cap;
}
