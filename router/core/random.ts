import seedrandom from 'seedrandom';

/**
 * Randomness comes in through this interface and nowhere else (a test enforces it).
 * `next()` returns a float in [0, 1).
 */
export interface Random {
  next(): number;
}

/** A seeded generator (seedrandom's Alea: fast, good statistical quality). */
export function seededRandom(seed: string | number): Random {
  const rng = seedrandom.alea(String(seed));
  return { next: () => rng() };
}

/**
 * An independent stream derived from a base seed and a label, e.g.
 * `deriveRandom(seed, 'provider:openai')`. Separate streams per concern mean that
 * adding a consumer never shifts another consumer's draws.
 */
export function deriveRandom(seed: string | number, label: string): Random {
  return seededRandom(`${seed}\u0000${label}`);
}

/** Unseeded randomness for production. The only place router/ calls Math.random. */
export const systemRandom: Random = { next: () => Math.random() };

/** Integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random.next() * n);
}

/** Two distinct indices in [0, n) for power-of-two-choices; n must be >= 2. */
export function twoDistinct(random: Random, n: number): [number, number] {
  const a = randomInt(random, n);
  let b = randomInt(random, n - 1);
  if (b >= a) b += 1;
  return [a, b];
}
