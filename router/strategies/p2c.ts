/**
 * Power of two choices (Mitzenmacher 2001; tower balance/p2c, Finagle P2CPick): draw two
 * distinct candidates at random and keep the less loaded one. O(1), and it avoids the herd
 * that "always the least loaded" causes when many pickers see the same snapshot.
 * Ties keep the first drawn, so a tie is settled by the (seeded) draw.
 */
import { twoDistinct, type Random } from '../core/random.js';
import type { Candidate } from '../core/types.js';

/** Load of one candidate: lower is better. */
export type LoadOf = (c: Candidate) => number;

export function p2cIndex(candidates: readonly Candidate[], random: Random, loadOf: LoadOf): number {
  const n = candidates.length;
  if (n === 1) return 0;
  const [a, b] = twoDistinct(random, n);
  return loadOf(candidates[b]!) < loadOf(candidates[a]!) ? b : a;
}
