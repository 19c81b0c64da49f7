import { randomInt, seededRandom, type Random } from '../core/random.js';

/**
 * Seeded, stratified data splits. Stratified: each class keeps its share in every part,
 * so a rare class (math) is never missing from the held-out set. Seeded: the same seed
 * gives the same split, so the held-out accuracy the train script prints is reproducible
 * and the test can recompute it.
 */

/** Fisher–Yates shuffle driven by the injected Random (a copy; the input is untouched). */
export function shuffled<T>(items: readonly T[], random: Random): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

function byLabel<T extends { label: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const it of items) {
    const g = groups.get(it.label);
    if (g) g.push(it);
    else groups.set(it.label, [it]);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Per class: shuffle, then put round(n × testShare) items in `test` (at least 1 when
 * the class has 2+ items). Both parts keep the input order so results do not depend
 * on the shuffle beyond membership.
 */
export function stratifiedSplit<T extends { label: string }>(
  items: readonly T[],
  testShare: number,
  seed: string | number,
): { train: T[]; test: T[] } {
  if (!(testShare > 0 && testShare < 1)) throw new Error(`stratifiedSplit: testShare must be in (0, 1) (got ${testShare})`);
  const random = seededRandom(`split:${seed}`);
  const testSet = new Set<T>();
  for (const group of byLabel(items).values()) {
    const n = group.length < 2 ? 0 : Math.max(1, Math.round(group.length * testShare));
    for (const it of shuffled(group, random).slice(0, n)) testSet.add(it);
  }
  return { train: items.filter((it) => !testSet.has(it)), test: items.filter((it) => testSet.has(it)) };
}

/** Stratified k folds: fold f holds every k-th item of each shuffled class, from offset f. */
export function stratifiedFolds<T extends { label: string }>(items: readonly T[], k: number, seed: string | number): T[][] {
  if (!Number.isInteger(k) || k < 2) throw new Error(`stratifiedFolds: k must be an integer >= 2 (got ${k})`);
  const random = seededRandom(`folds:${seed}`);
  const foldOf = new Map<T, number>();
  for (const group of byLabel(items).values()) shuffled(group, random).forEach((it, i) => foldOf.set(it, i % k));
  return Array.from({ length: k }, (_, f) => items.filter((it) => foldOf.get(it) === f));
}
