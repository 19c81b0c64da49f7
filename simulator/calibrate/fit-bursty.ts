import type { Observation } from './observations.js';

/**
 * A Gilbert–Elliott (two-state) fit of failures over time, where observations have
 * timestamps. Time is cut into steps of `stepMs` (the profile's default, 1 s). A step is
 * "bad" when its failures are improbable under the overall rate p: at least 2 failures
 * and a binomial upper tail P(X ≥ k | n, p) < 1%. Empty steps keep the previous state.
 * Then: meanBadS / meanGoodS = mean run lengths × step, badErrorRate and the good-state
 * (base) rate = failures / requests within bad and good steps.
 *
 * A thresholded approximation of the chain (not Baum–Welch): it finds bursts that stand
 * out of the noise and misses mild ones. Each step's test has size ≤ 1%, so independent
 * failures flag about 1% of the steps by chance: the fit is null unless bad steps exceed
 * 3× that (no burst stands out), and with fewer than `minSteps` non-empty steps (too short
 * a record to see bursts).
 */

export interface BurstyFit {
  readonly steps: number;
  readonly badSteps: number;
  readonly badRuns: number;
  readonly meanGoodS: number;
  readonly meanBadS: number;
  readonly badErrorRate: number;
  readonly baseErrorRate: number;
  readonly stepMs: number;
}

/** ln C(n, k) + k ln p + (n−k) ln(1−p), summed over k..n: the binomial upper tail. */
function upperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let lc = 0; // ln C(n, 0)
  let tail = 0;
  for (let j = 0; j <= n; j++) {
    if (j > 0) lc += Math.log((n - j + 1) / j);
    if (j >= k) tail += Math.exp(lc + j * Math.log(p) + (n - j) * Math.log(1 - p));
  }
  return Math.min(1, tail);
}

/** Per-step test size. */
const ALPHA = 0.01;

export function fitBursty(obs: readonly Observation[], stepMs = 1000, minSteps = 30): BurstyFit | null {
  const timed = obs.filter((o) => o.startMs !== null);
  if (timed.length === 0) return null;
  const t0 = Math.min(...timed.map((o) => o.startMs!));
  const n = new Map<number, number>();
  const k = new Map<number, number>();
  let fails = 0;
  for (const o of timed) {
    const s = Math.floor((o.startMs! - t0) / stepMs);
    n.set(s, (n.get(s) ?? 0) + 1);
    if (!o.ok) {
      k.set(s, (k.get(s) ?? 0) + 1);
      fails++;
    }
  }
  if (n.size < minSteps || fails === 0) return null;
  const p = fails / timed.length;
  const last = Math.max(...n.keys());
  let state = 0;
  let prev = -1;
  let good = 0;
  let bad = 0;
  let goodRuns = 0;
  let badRuns = 0;
  const tally = { nGood: 0, kGood: 0, nBad: 0, kBad: 0 };
  for (let s = 0; s <= last; s++) {
    const ns = n.get(s) ?? 0;
    const ks = k.get(s) ?? 0;
    if (ns > 0) state = ks >= 2 && upperTail(ks, ns, p) < ALPHA ? 1 : 0;
    if (state !== prev) {
      if (state === 1) badRuns++;
      else goodRuns++;
      prev = state;
    }
    if (state === 1) {
      bad++;
      tally.nBad += ns;
      tally.kBad += ks;
    } else {
      good++;
      tally.nGood += ns;
      tally.kGood += ks;
    }
  }
  if (badRuns === 0 || tally.nBad === 0 || bad <= 3 * ALPHA * n.size) return null;
  const stepS = stepMs / 1000;
  return {
    steps: last + 1,
    badSteps: bad,
    badRuns,
    meanGoodS: (good / Math.max(1, goodRuns)) * stepS,
    meanBadS: (bad / badRuns) * stepS,
    badErrorRate: tally.kBad / tally.nBad,
    baseErrorRate: tally.nGood === 0 ? 0 : tally.kGood / tally.nGood,
    stepMs,
  };
}
