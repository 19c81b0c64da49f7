import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { fitLognormal, fitShiftedLognormal } from './stats.js';

/**
 * Lognormal mixtures for latencies that are not one lognormal: cold and warm starts, a
 * request served at once or after k others in a provider's queue, a step between two
 * regimes. A mixture of k lognormals is a mixture of k normals in y = ln x, fitted by
 * expectation–maximisation (Dempster, Laird & Rubin 1977):
 *
 *   E step  rᵢⱼ = wⱼ φ(yᵢ; μⱼ, σⱼ) / Σₗ wₗ φ(yᵢ; μₗ, σₗ)
 *   M step  wⱼ = Σᵢ rᵢⱼ / n,  μⱼ = Σᵢ rᵢⱼ yᵢ / Σᵢ rᵢⱼ,  σⱼ² = Σᵢ rᵢⱼ (yᵢ − μⱼ)² / Σᵢ rᵢⱼ
 *
 * from several deterministic starts (the sorted sample cut at quantiles), keeping the
 * highest likelihood. The number of components is chosen by BIC (Schwarz 1978),
 * BIC = −2ℓ + p ln n with p = 3k − 1 (k medians, k σ, k − 1 weights), against the plain
 * lognormal (p = 2) and the shifted lognormal (p = 3, stats.ts). ℓ is the log-likelihood
 * of x (not of ln x): ℓ = Σ ln f_Y(ln(xᵢ − s)) − Σ ln(xᵢ − s), so the shifted and unshifted
 * candidates are compared on the same data.
 *
 * Guards against the degenerate maxima EM is known for: σ ≥ SIGMA_FLOOR, and a fit whose
 * smallest component holds fewer than MIN_COMPONENT_N observations is discarded.
 */

export interface LognormalComponent {
  readonly weight: number;
  readonly mu: number;
  readonly sigma: number;
}

export interface LognormalModel {
  /** 'lognormal': one component, no shift; 'shifted': one component above `shift`; 'mixture': k ≥ 2. */
  readonly kind: 'lognormal' | 'shifted' | 'mixture';
  readonly components: readonly LognormalComponent[];
  /** Floor s: x − s follows the components (0: none). */
  readonly shift: number;
  readonly n: number;
  /** Log-likelihood of the sample under the model. */
  readonly ll: number;
  /** Free parameters. */
  readonly p: number;
  readonly bic: number;
}

export const SIGMA_FLOOR = 1e-3;
export const MIN_COMPONENT_N = 3;
const MAX_ITER = 500;
const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

const logPhi = (y: number, mu: number, sigma: number): number => {
  const z = (y - mu) / sigma;
  return -0.5 * z * z - Math.log(sigma) - LN_SQRT_2PI;
};

/** log Σ exp(aᵢ) without overflow. */
function logSumExp(a: readonly number[]): number {
  let m = -Infinity;
  for (const v of a) if (v > m) m = v;
  if (m === -Infinity) return m;
  let s = 0;
  for (const v of a) s += Math.exp(v - m);
  return m + Math.log(s);
}

/** Log-likelihood of y = ln x under the components (the Jacobian −Σ y is added by the caller). */
function logLik(ys: readonly number[], comps: readonly LognormalComponent[]): number {
  let ll = 0;
  const t = new Array<number>(comps.length);
  for (const y of ys) {
    for (let j = 0; j < comps.length; j++) t[j] = Math.log(comps[j]!.weight) + logPhi(y, comps[j]!.mu, comps[j]!.sigma);
    ll += logSumExp(t);
  }
  return ll;
}

/** EM from one start; null when a component empties or collapses. */
function em(ys: readonly number[], start: LognormalComponent[]): { comps: LognormalComponent[]; ll: number } | null {
  const n = ys.length;
  const k = start.length;
  let comps = start;
  let prev = -Infinity;
  const r = Array.from({ length: k }, () => new Float64Array(n));
  const t = new Array<number>(k);
  for (let iter = 0; iter < MAX_ITER; iter++) {
    let ll = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) t[j] = Math.log(comps[j]!.weight) + logPhi(ys[i]!, comps[j]!.mu, comps[j]!.sigma);
      const lse = logSumExp(t);
      ll += lse;
      for (let j = 0; j < k; j++) r[j]![i] = Math.exp(t[j]! - lse);
    }
    const next: LognormalComponent[] = [];
    for (let j = 0; j < k; j++) {
      let s = 0;
      let sy = 0;
      for (let i = 0; i < n; i++) {
        s += r[j]![i]!;
        sy += r[j]![i]! * ys[i]!;
      }
      if (!(s >= 1e-9)) return null;
      const mu = sy / s;
      let ss = 0;
      for (let i = 0; i < n; i++) ss += r[j]![i]! * (ys[i]! - mu) ** 2;
      next.push({ weight: s / n, mu, sigma: Math.max(SIGMA_FLOOR, Math.sqrt(ss / s)) });
    }
    comps = next;
    if (ll - prev < 1e-10 * n) break;
    prev = ll;
  }
  return { comps, ll: logLik(ys, comps) };
}

/** Starts for k components: the sorted sample cut at the given quantile boundaries. */
function startFrom(sorted: readonly number[], cuts: readonly number[]): LognormalComponent[] {
  const n = sorted.length;
  const bounds = [0, ...cuts.map((c) => Math.round(c * n)), n];
  const comps: LognormalComponent[] = [];
  for (let j = 0; j + 1 < bounds.length; j++) {
    const part = sorted.slice(bounds[j], bounds[j + 1]);
    if (part.length < 2) return [];
    const mu = part.reduce((a, b) => a + b, 0) / part.length;
    const sd = Math.sqrt(part.reduce((a, b) => a + (b - mu) ** 2, 0) / part.length);
    comps.push({ weight: part.length / n, mu, sigma: Math.max(SIGMA_FLOOR, sd) });
  }
  return comps;
}

/** Deterministic starting cut sets for k components: equal shares, plus shifted variants. */
function startCuts(k: number): number[][] {
  if (k === 2) return [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((c) => [c]);
  const equal = Array.from({ length: k - 1 }, (_, j) => (j + 1) / k);
  const out = [equal];
  for (const d of [-0.5, 0.5]) out.push(equal.map((c) => c + d / (2 * k)));
  // Also: one small component at either end, the rest equal.
  out.push([0.1, ...Array.from({ length: k - 2 }, (_, j) => 0.1 + (0.9 * (j + 1)) / (k - 1))]);
  out.push([...Array.from({ length: k - 2 }, (_, j) => (0.9 * (j + 1)) / (k - 1)), 0.9]);
  return out;
}

/** Maximum-likelihood k-component lognormal mixture of xs (positive, finite), or null when none holds ≥ MIN_COMPONENT_N per component. */
export function fitLognormalMixture(xs: readonly number[], k: number): LognormalModel | null {
  const ys = xs.filter((x) => x > 0 && Number.isFinite(x)).map(Math.log);
  const n = ys.length;
  if (k < 1 || n < k * MIN_COMPONENT_N) return null;
  const sorted = [...ys].sort((a, b) => a - b);
  const jac = ys.reduce((a, b) => a + b, 0);
  let best: { comps: LognormalComponent[]; ll: number } | null = null;
  const starts = k === 1 ? [[]] : startCuts(k);
  for (const cuts of starts) {
    const s = startFrom(sorted, cuts);
    if (s.length !== k) continue;
    const r = em(ys, s);
    if (r === null || !Number.isFinite(r.ll)) continue;
    if (r.comps.some((c) => c.weight * n < MIN_COMPONENT_N)) continue;
    if (best === null || r.ll > best.ll) best = r;
  }
  if (best === null) return null;
  const comps = [...best.comps].sort((a, b) => a.mu - b.mu);
  const ll = best.ll - jac;
  const p = 3 * k - 1;
  return { kind: k === 1 ? 'lognormal' : 'mixture', components: comps, shift: 0, n, ll, p, bic: -2 * ll + p * Math.log(n) };
}

/** The shifted lognormal (stats.ts) as a model with its likelihood, or null when no floor is fitted. */
export function shiftedModel(xs: readonly number[]): LognormalModel | null {
  const f = fitShiftedLognormal(xs);
  if (f.shift === 0) return null;
  const ys = xs.filter((x) => x > 0 && Number.isFinite(x)).map((x) => Math.log(x - f.shift));
  const comps = [{ weight: 1, mu: f.mu, sigma: f.sigma }];
  const ll = logLik(ys, comps) - ys.reduce((a, b) => a + b, 0);
  const n = ys.length;
  return { kind: 'shifted', components: comps, shift: f.shift, n, ll, p: 3, bic: -2 * ll + 3 * Math.log(n) };
}

export interface SelectOptions {
  /** Largest number of mixture components tried (1: no mixture). */
  maxComponents: number;
  /** Try the shifted lognormal as a candidate. */
  shift: boolean;
}

/**
 * The candidate with the lowest BIC among the plain lognormal, the shifted lognormal
 * (when `shift`) and k = 2..maxComponents mixtures. Ties keep the simpler model.
 */
export function selectLognormal(xs: readonly number[], opts: SelectOptions): LognormalModel {
  const plain = fitLognormalMixture(xs, 1);
  const cands: LognormalModel[] = [];
  if (plain !== null) cands.push(plain);
  else {
    // Too few samples for the guard: the closed-form lognormal still applies.
    const f = fitLognormal(xs);
    cands.push({ kind: 'lognormal', components: [{ weight: 1, mu: f.mu, sigma: f.sigma }], shift: 0, n: f.n, ll: NaN, p: 2, bic: Infinity });
  }
  if (opts.shift) {
    const s = shiftedModel(xs);
    if (s !== null) cands.push(s);
  }
  for (let k = 2; k <= opts.maxComponents; k++) {
    const m = fitLognormalMixture(xs, k);
    if (m !== null) cands.push(m);
  }
  let best = cands[0]!;
  for (const c of cands.slice(1)) if (c.bic < best.bic) best = c;
  return best;
}

/** CDF of the model: Σ wⱼ Φ((ln(x − s) − μⱼ)/σⱼ). */
export function modelCdf(m: LognormalModel, x: number): number {
  const v = x - m.shift;
  if (v <= 0) return 0;
  const y = Math.log(v);
  let p = 0;
  for (const c of m.components) p += c.weight * (c.sigma === 0 ? (y >= c.mu ? 1 : 0) : normalCdf(y, c.mu, c.sigma));
  return p;
}

/** Quantile of the model by bisection on the CDF (monotone), to a relative 1e-9. */
export function modelQuantile(m: LognormalModel, p: number): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of m.components) {
    lo = Math.min(lo, c.mu - 10 * c.sigma - 1);
    hi = Math.max(hi, c.mu + 10 * c.sigma + 1);
  }
  // Bisection in log space of x − s.
  for (let i = 0; i < 200 && hi - lo > 1e-9; i++) {
    const mid = (lo + hi) / 2;
    if (modelCdf(m, m.shift + Math.exp(mid)) < p) lo = mid;
    else hi = mid;
  }
  return m.shift + Math.exp((lo + hi) / 2);
}
