import { MIN_COMPONENT_N, selectLognormal, SIGMA_FLOOR, type LognormalModel, type SelectOptions } from './mixture.js';

/**
 * TTFT and decode speed together: a mixture of bivariate lognormals over
 * (ttft, ms per token), i.e. of bivariate normals over y = (ln ttft, ln msPerToken),
 * fitted by EM. Why: on some APIs the two are not independent. Replicate's Llama-2-70B
 * answers either fast to start and slow to decode, or the reverse (1.0 s with 88 ms/token,
 * 1.7 s with 83 ms/token), so its end-to-end latency is far tighter than independent
 * draws make it; a component per regime with its own correlation ρ reproduces that.
 *
 *   E step  rᵢⱼ ∝ wⱼ φ₂(yᵢ; μⱼ, Σⱼ)
 *   M step  wⱼ, μⱼ, Σⱼ = the rᵢⱼ-weighted share, means and covariance (ρ clamped to ±RHO_MAX)
 *
 * φ₂ with σ₁, σ₂, ρ: ln φ₂ = −ln 2π − ln σ₁σ₂ − ½ ln(1 − ρ²) − (z₁² − 2ρz₁z₂ + z₂²) / 2(1 − ρ²).
 * Free parameters p = 6k − 1; the log-likelihood is of the data, not of its logarithms
 * (− Σ (y₁ + y₂)), so BIC compares it with the independent fits (fit-profile.ts).
 */

export interface JointComponent {
  readonly weight: number;
  /** ln ttft: mean and sd. */
  readonly mu1: number;
  readonly s1: number;
  /** ln ms per token: mean and sd. */
  readonly mu2: number;
  readonly s2: number;
  readonly rho: number;
}

export interface JointModel {
  readonly components: readonly JointComponent[];
  readonly n: number;
  readonly ll: number;
  readonly p: number;
  readonly bic: number;
}

export const RHO_MAX = 0.99;
const MAX_ITER = 500;
const LN_2PI = Math.log(2 * Math.PI);

function logPhi2(y1: number, y2: number, c: JointComponent): number {
  const z1 = (y1 - c.mu1) / c.s1;
  const z2 = (y2 - c.mu2) / c.s2;
  const q = 1 - c.rho * c.rho;
  return -LN_2PI - Math.log(c.s1 * c.s2) - 0.5 * Math.log(q) - (z1 * z1 - 2 * c.rho * z1 * z2 + z2 * z2) / (2 * q);
}

function lse(t: readonly number[]): number {
  let m = -Infinity;
  for (const v of t) if (v > m) m = v;
  let s = 0;
  for (const v of t) s += Math.exp(v - m);
  return m + Math.log(s);
}

/** Weighted moments of one component (weights r over the points). */
function moments(a: readonly number[], b: readonly number[], r: ArrayLike<number>, n: number): JointComponent | null {
  let s = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    s += r[i]!;
    sa += r[i]! * a[i]!;
    sb += r[i]! * b[i]!;
  }
  if (!(s >= 1e-9)) return null;
  const mu1 = sa / s;
  const mu2 = sb / s;
  let v1 = 0;
  let v2 = 0;
  let cv = 0;
  for (let i = 0; i < a.length; i++) {
    v1 += r[i]! * (a[i]! - mu1) ** 2;
    v2 += r[i]! * (b[i]! - mu2) ** 2;
    cv += r[i]! * (a[i]! - mu1) * (b[i]! - mu2);
  }
  const s1 = Math.max(SIGMA_FLOOR, Math.sqrt(v1 / s));
  const s2 = Math.max(SIGMA_FLOOR, Math.sqrt(v2 / s));
  const rho = Math.max(-RHO_MAX, Math.min(RHO_MAX, cv / s / (s1 * s2)));
  return { weight: s / n, mu1, s1, mu2, s2, rho };
}

function em(a: readonly number[], b: readonly number[], start: JointComponent[]): { comps: JointComponent[]; ll: number } | null {
  const n = a.length;
  const k = start.length;
  let comps = start;
  let prev = -Infinity;
  let ll = -Infinity;
  const r = Array.from({ length: k }, () => new Float64Array(n));
  const t = new Array<number>(k);
  for (let iter = 0; iter < MAX_ITER; iter++) {
    ll = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) t[j] = Math.log(comps[j]!.weight) + logPhi2(a[i]!, b[i]!, comps[j]!);
      const l = lse(t);
      ll += l;
      for (let j = 0; j < k; j++) r[j]![i] = Math.exp(t[j]! - l);
    }
    if (ll - prev < 1e-10 * n) break;
    prev = ll;
    const next: JointComponent[] = [];
    for (let j = 0; j < k; j++) {
      const c = moments(a, b, r[j]!, n);
      if (c === null) return null;
      next.push(c);
    }
    comps = next;
  }
  return Number.isFinite(ll) ? { comps, ll } : null;
}

/** Start: the points ranked by `key` cut into k parts at `cuts` (quantile shares). */
function start(a: readonly number[], b: readonly number[], key: readonly number[], cuts: readonly number[]): JointComponent[] {
  const n = a.length;
  const order = key.map((_, i) => i).sort((i, j) => key[i]! - key[j]!);
  const bounds = [0, ...cuts.map((c) => Math.round(c * n)), n];
  const out: JointComponent[] = [];
  for (let j = 0; j + 1 < bounds.length; j++) {
    const r = new Float64Array(n);
    for (let q = bounds[j]!; q < bounds[j + 1]!; q++) r[order[q]!] = 1;
    if (bounds[j + 1]! - bounds[j]! < 2) return [];
    const c = moments(a, b, r, n);
    if (c === null) return [];
    out.push(c);
  }
  return out;
}

function cutSets(k: number): number[][] {
  if (k === 1) return [[]];
  if (k === 2) return [0.15, 0.3, 0.5, 0.7, 0.85].map((c) => [c]);
  const equal = Array.from({ length: k - 1 }, (_, j) => (j + 1) / k);
  return [equal, equal.map((c) => c - 0.25 / k), equal.map((c) => c + 0.25 / k)];
}

/**
 * Maximum-likelihood k-component bivariate lognormal mixture of (ttft, msPerToken) pairs
 * (both positive), from starts cut along either variable; null when no start keeps every
 * component at MIN_COMPONENT_N observations or more.
 */
export function fitJoint(ttft: readonly number[], perToken: readonly number[], k: number): JointModel | null {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < ttft.length; i++) {
    if (ttft[i]! > 0 && perToken[i]! > 0 && Number.isFinite(ttft[i]!) && Number.isFinite(perToken[i]!)) {
      a.push(Math.log(ttft[i]!));
      b.push(Math.log(perToken[i]!));
    }
  }
  const n = a.length;
  if (n < k * MIN_COMPONENT_N || n < 3) return null;
  let best: { comps: JointComponent[]; ll: number } | null = null;
  for (const key of [a, b]) {
    for (const cuts of cutSets(k)) {
      const s = start(a, b, key, cuts);
      if (s.length !== k) continue;
      const r = em(a, b, s);
      if (r === null || r.comps.some((c) => c.weight * n < MIN_COMPONENT_N)) continue;
      if (best === null || r.ll > best.ll) best = r;
    }
    if (k === 1) break;
  }
  if (best === null) return null;
  let jac = 0;
  for (let i = 0; i < n; i++) jac += a[i]! + b[i]!;
  const ll = best.ll - jac;
  const p = 6 * k - 1;
  return { components: [...best.comps].sort((x, y) => x.mu1 - y.mu1), n, ll, p, bic: -2 * ll + p * Math.log(n) };
}

/** The best joint model by BIC over k = 1..maxComponents (null when none fits). */
export function selectJoint(ttft: readonly number[], perToken: readonly number[], maxComponents: number): JointModel | null {
  let best: JointModel | null = null;
  for (let k = 1; k <= maxComponents; k++) {
    const m = fitJoint(ttft, perToken, k);
    if (m !== null && (best === null || m.bic < best.bic)) best = m;
  }
  return best;
}

/** One margin of a joint model as a 1-D lognormal mixture (for KS, QQ and ECDF). */
export function margin(m: JointModel, which: 'ttft' | 'perToken'): LognormalModel {
  const components = m.components.map((c) => (which === 'ttft' ? { weight: c.weight, mu: c.mu1, sigma: c.s1 } : { weight: c.weight, mu: c.mu2, sigma: c.s2 }));
  return { kind: 'mixture', components, shift: 0, n: m.n, ll: NaN, p: NaN, bic: NaN };
}

/**
 * The joint model when BIC prefers it to the best independent pair (each margin chosen by
 * selectLognormal on the same requests, p and ℓ added); null otherwise.
 */
export function jointIfBetter(ttft: readonly number[], perToken: readonly number[], opts: SelectOptions): JointModel | null {
  const joint = selectJoint(ttft, perToken, opts.maxComponents);
  if (joint === null) return null;
  const a = selectLognormal(ttft, opts);
  const b = selectLognormal(perToken, { ...opts, shift: false });
  const bicIndependent = -2 * (a.ll + b.ll) + (a.p + b.p) * Math.log(joint.n);
  return joint.bic < bicIndependent ? joint : null;
}
