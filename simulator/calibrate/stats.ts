import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';

/**
 * The statistics the calibrator needs: lognormal maximum likelihood, Kolmogorov–Smirnov
 * distances with their 5% critical values, and binomial intervals. Pure functions.
 */

export interface LognormalFit {
  /** MLE of the log-mean μ; the median is e^μ. */
  readonly mu: number;
  /** MLE of the log-sd σ (divides by n, as maximum likelihood does). */
  readonly sigma: number;
  readonly median: number;
  readonly n: number;
}

/**
 * Lognormal maximum likelihood: μ̂ = (1/n) Σ ln xᵢ, σ̂² = (1/n) Σ (ln xᵢ − μ̂)².
 * Only positive finite samples are used.
 */
export function fitLognormal(xs: readonly number[]): LognormalFit {
  let n = 0;
  let sum = 0;
  for (const x of xs) {
    if (x > 0 && Number.isFinite(x)) {
      n++;
      sum += Math.log(x);
    }
  }
  if (n === 0) return { mu: NaN, sigma: NaN, median: NaN, n: 0 };
  const mu = sum / n;
  let ss = 0;
  for (const x of xs) if (x > 0 && Number.isFinite(x)) ss += (Math.log(x) - mu) ** 2;
  const sigma = Math.sqrt(ss / n);
  return { mu, sigma, median: Math.exp(mu), n };
}

export interface ShiftedLognormalFit extends LognormalFit {
  /** The floor s: x − s is lognormal. 0 when the shift does not improve the likelihood significantly. */
  readonly shift: number;
  /** Likelihood-ratio statistic 2·(ℓ(ŝ) − ℓ(0)) against the plain lognormal (χ²₁: > 3.84 at 5%). */
  readonly lr: number;
}

/**
 * Three-parameter (shifted) lognormal: x − s ~ lognormal(μ, σ). For each s on a grid in
 * [0, 0.95·min x) the MLE of (μ, σ) is the lognormal one of x − s, and the profile
 * log-likelihood is ℓ(s) = −Σ ln(xᵢ − s) − n ln σ̂(s) − n/2 (+ const). The best s is kept
 * only if the likelihood-ratio test against s = 0 says so (2Δℓ > 3.84, 5%); the grid stops
 * short of min x, where ℓ is unbounded.
 */
export function fitShiftedLognormal(xs: readonly number[]): ShiftedLognormalFit {
  const ys = xs.filter((x) => x > 0 && Number.isFinite(x));
  const plain = fitLognormal(ys);
  if (ys.length < 3) return { ...plain, shift: 0, lr: 0 };
  const min = Math.min(...ys);
  const ll = (s: number): { ll: number; fit: LognormalFit } => {
    const shifted = ys.map((x) => x - s);
    const fit = fitLognormal(shifted);
    let sumLog = 0;
    for (const v of shifted) sumLog += Math.log(v);
    return { ll: -sumLog - ys.length * Math.log(fit.sigma) - ys.length / 2, fit };
  };
  const base = ll(0);
  let best = { s: 0, ...base };
  const STEPS = 200;
  for (let i = 1; i < STEPS; i++) {
    const s = (0.95 * min * i) / STEPS;
    const r = ll(s);
    if (r.ll > best.ll) best = { s, ...r };
  }
  const lr = 2 * (best.ll - base.ll);
  if (!(lr > 3.84) || !Number.isFinite(best.fit.sigma) || best.fit.sigma === 0) return { ...plain, shift: 0, lr: Math.max(0, lr) };
  return { ...best.fit, n: ys.length, shift: best.s, lr };
}

/** The lognormal CDF: Φ((ln x − μ)/σ) (a step at the median when σ = 0). */
export function lognormalCdf(x: number, mu: number, sigma: number): number {
  if (x <= 0) return 0;
  if (sigma === 0) return Math.log(x) >= mu ? 1 : 0;
  return normalCdf(Math.log(x), mu, sigma);
}

/** The lognormal quantile: e^(μ + σ Φ⁻¹(p)). */
export function lognormalQuantile(p: number, mu: number, sigma: number): number {
  return Math.exp(mu + sigma * normalQuantile(p, 0, 1));
}

const sorted = (xs: readonly number[]): number[] => xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);

/**
 * One-sample KS distance D = sup |Fₙ(x) − F(x)| against a continuous CDF:
 * D = max over i of max(i/n − F(x₍ᵢ₎), F(x₍ᵢ₎) − (i−1)/n).
 */
export function ksOneSample(xs: readonly number[], cdf: (x: number) => number): number {
  const s = sorted(xs);
  const n = s.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(s[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

/** Two-sample KS distance D = sup |Fₙ(x) − Gₘ(x)| (ties handled by stepping past equal values). */
export function ksTwoSample(a: readonly number[], b: readonly number[]): number {
  const x = sorted(a);
  const y = sorted(b);
  const n = x.length;
  const m = y.length;
  if (n === 0 || m === 0) return NaN;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < n && x[i]! <= v) i++;
    while (j < m && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  return d;
}

/** c(α) of the KS test at α = 5%. */
export const KS_C_05 = 1.36;

/**
 * 5% critical value of the KS distance: 1.36/√n for one sample of n against a fixed
 * CDF; 1.36·√(1/n + 1/m) for two samples (→ 1.36/√n as m grows).
 */
export function ksCritical(n: number, m = Infinity): number {
  return KS_C_05 * Math.sqrt(1 / n + (m === Infinity ? 0 : 1 / m));
}

export interface Interval {
  readonly lo: number;
  readonly hi: number;
}

/** Wilson score interval for k successes in n trials (95%: z = 1.96). */
export function wilson(k: number, n: number, z = 1.96): Interval {
  if (n === 0) return { lo: 0, hi: 1 };
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

/**
 * 95% interval of a difference of two proportions p₁ − p₂ (Newcombe's hybrid score
 * method: the Wilson intervals of each, combined), valid for small counts and p near 0.
 */
export function diffInterval(k1: number, n1: number, k2: number, n2: number): Interval & { diff: number } {
  const p1 = k1 / n1;
  const p2 = k2 / n2;
  const a = wilson(k1, n1);
  const b = wilson(k2, n2);
  const d = p1 - p2;
  return {
    diff: d,
    lo: d - Math.sqrt((p1 - a.lo) ** 2 + (b.hi - p2) ** 2),
    hi: d + Math.sqrt((a.hi - p1) ** 2 + (p2 - b.lo) ** 2),
  };
}

/** Linear-interpolated quantile of sorted data (type 7). */
export function quantileSorted(s: readonly number[], p: number): number {
  if (s.length === 0) return NaN;
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}

export function median(xs: readonly number[]): number {
  return quantileSorted(sorted(xs), 0.5);
}
