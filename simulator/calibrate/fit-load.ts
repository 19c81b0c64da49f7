import type { Observation } from './observations.js';

/**
 * Load dependence. Concurrency is known when observations carry start times and
 * durations (the router log): an observation's load L is the number of others of the
 * same endpoint in flight when it started (what the provider model calls `load`).
 *
 * The model (simulator/model.ts) slows TTFT by (1 + slowdown·(L/c)²) below capacity c.
 * We test for any dependence first (Spearman rank correlation of L and TTFT, two-sided
 * 5%: |ρ|·√(n−1) > 1.96); only then fit ln ttft = μ₀ + ln(1 + k·L²) by least squares
 * (golden-section search over k, μ₀ the mean residual) and report c = max L seen,
 * slowdown = k·c². Without a significant dependence the profile gets slowdown 0.
 */

export interface LoadFit {
  /** Observations with a known load. */
  readonly n: number;
  readonly maxLoad: number;
  readonly spearman: number;
  readonly significant: boolean;
  /** Zero-load median TTFT (e^μ₀) and log-sd of the residuals, when significant. */
  readonly medianMs?: number;
  readonly sigma?: number;
  readonly slowdown: number;
  readonly maxConcurrent: number;
}

/** Load at start for each observation (null where start or duration is unknown). */
export function concurrency(obs: readonly Observation[]): Array<number | null> {
  const ev: Array<[number, number]> = []; // [time, +1 start / -1 end], ends before starts at the same time
  obs.forEach((o) => {
    if (o.startMs !== null && o.e2eMs !== null) {
      ev.push([o.startMs, 1], [o.startMs + o.e2eMs, -1]);
    }
  });
  ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const starts = new Map<number, number[]>();
  let inFlight = 0;
  for (const [t, d] of ev) {
    if (d === 1) {
      let l = starts.get(t);
      if (l === undefined) starts.set(t, (l = []));
      l.push(inFlight);
    }
    inFlight += d;
  }
  // Hand the loads back in observation order (same start time: in order seen).
  const used = new Map<number, number>();
  return obs.map((o) => {
    if (o.startMs === null || o.e2eMs === null) return null;
    const i = used.get(o.startMs) ?? 0;
    used.set(o.startMs, i + 1);
    return starts.get(o.startMs)![i]!;
  });
}

function ranks(xs: readonly number[]): number[] {
  const idx = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1]![0] === idx[i]![0]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]![1]] = avg;
    i = j + 1;
  }
  return r;
}

function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
}

export function fitLoad(ttftMs: readonly number[], load: readonly number[]): LoadFit | null {
  const n = ttftMs.length;
  if (n < 10) return null;
  const maxLoad = Math.max(...load);
  const rho = pearson(ranks(load), ranks(ttftMs));
  const significant = maxLoad > 0 && Math.abs(rho) * Math.sqrt(n - 1) > 1.96 && rho > 0;
  if (!significant) return { n, maxLoad, spearman: rho, significant, slowdown: 0, maxConcurrent: Math.max(1, maxLoad) };
  const y = ttftMs.map((t) => Math.log(t));
  const sse = (k: number): { sse: number; mu: number } => {
    const r = y.map((v, i) => v - Math.log(1 + k * load[i]! ** 2));
    const mu = r.reduce((s, v) => s + v, 0) / n;
    return { sse: r.reduce((s, v) => s + (v - mu) ** 2, 0), mu };
  };
  // Golden section on k in [0, kMax]: kMax makes the slowdown at max load 100x.
  let lo = 0;
  let hi = 100 / maxLoad ** 2;
  const g = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 80; it++) {
    const a = hi - g * (hi - lo);
    const b = lo + g * (hi - lo);
    if (sse(a).sse < sse(b).sse) hi = b;
    else lo = a;
  }
  const k = (lo + hi) / 2;
  const best = sse(k);
  return {
    n,
    maxLoad,
    spearman: rho,
    significant,
    medianMs: Math.exp(best.mu),
    sigma: Math.sqrt(best.sse / n),
    slowdown: k * maxLoad ** 2,
    maxConcurrent: maxLoad,
  };
}
