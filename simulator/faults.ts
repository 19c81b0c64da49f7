import { deriveRandom, type Random } from '../router/core/random.js';
import { FAILURE_KINDS, type FailureKind } from './profile.js';

/**
 * Failure machinery: the weighted choice of a failure kind, and the Gilbert–Elliott
 * bursty bad state.
 */

/** Cumulative weights for picking a failure kind with one uniform draw. */
export interface KindTable {
  readonly cum: Float64Array; // normalised cumulative weights, last = 1
  readonly kinds: readonly FailureKind[];
}

export function kindTable(weights: Partial<Record<FailureKind, number | undefined>>): KindTable {
  const kinds: FailureKind[] = [];
  const raw: number[] = [];
  for (const k of FAILURE_KINDS) {
    const w = weights[k] ?? 0;
    if (w > 0) {
      kinds.push(k);
      raw.push(w);
    }
  }
  if (kinds.length === 0) return { cum: Float64Array.of(1), kinds: ['http_500'] };
  const total = raw.reduce((a, b) => a + b, 0);
  const cum = new Float64Array(raw.length);
  let acc = 0;
  raw.forEach((w, i) => {
    acc += w / total;
    cum[i] = acc;
  });
  cum[cum.length - 1] = 1;
  return { cum, kinds };
}

/** The kind whose cumulative band holds `u` in [0, 1). */
export function pickKind(t: KindTable, u: number): FailureKind {
  const c = t.cum;
  for (let i = 0; i < c.length; i++) if (u < c[i]!) return t.kinds[i]!;
  return t.kinds[t.kinds.length - 1]!;
}

export interface BurstConfig {
  readonly pGoodToBad?: number | undefined;
  readonly pBadToGood?: number | undefined;
  readonly meanGoodS?: number | undefined;
  readonly meanBadS?: number | undefined;
  readonly stepMs: number;
}

/** Longest chain kept in memory: 2^26 steps (~2 years at 1 s steps), 64 MB. */
const MAX_STEPS = 1 << 26;

/**
 * A two-state Markov chain over scenario time (Gilbert–Elliott): step n covers
 * [n·stepMs, (n+1)·stepMs). P(good→bad) = p, P(bad→good) = q per step; from mean
 * sojourn times p = stepS/meanGoodS, q = stepS/meanBadS. Step 0 is drawn from the
 * stationary law P(bad) = p/(p+q). The chain has its own seeded stream and is a
 * function of time only (not of request order), extended lazily and cached.
 */
export class BurstChain {
  private states = new Uint8Array(1024);
  private length = 0;
  private readonly p: number;
  private readonly q: number;
  private readonly stepMs: number;
  private readonly rng: Random;

  constructor(cfg: BurstConfig, seed: string | number, providerId: string) {
    const stepS = cfg.stepMs / 1000;
    this.p = Math.min(1, cfg.pGoodToBad ?? stepS / cfg.meanGoodS!);
    this.q = Math.min(1, cfg.pBadToGood ?? stepS / cfg.meanBadS!);
    this.stepMs = cfg.stepMs;
    this.rng = deriveRandom(seed, `gilbert-elliott:${providerId}`);
  }

  /** Is the provider in the bad state at scenario time `ms`? (t < 0 counts as step 0.) */
  isBad(ms: number): boolean {
    const n = ms > 0 ? Math.floor(ms / this.stepMs) : 0;
    if (n >= this.length) this.extend(n);
    return this.states[n] === 1;
  }

  private extend(n: number): void {
    if (n >= MAX_STEPS) throw new RangeError(`Gilbert–Elliott chain: time ${n} steps is beyond ${MAX_STEPS} (is this scenario time?)`);
    if (n >= this.states.length) {
      let size = this.states.length;
      while (size <= n) size *= 2;
      const next = new Uint8Array(Math.min(size, MAX_STEPS));
      next.set(this.states.subarray(0, this.length));
      this.states = next;
    }
    let i = this.length;
    let s = i === 0 ? -1 : this.states[i - 1]!;
    for (; i <= n; i++) {
      const u = this.rng.next();
      if (s === -1) s = u < this.p / (this.p + this.q || 1) ? 1 : 0;
      else if (s === 0) s = u < this.p ? 1 : 0;
      else s = u < this.q ? 0 : 1;
      this.states[i] = s;
    }
    this.length = n + 1;
  }
}
