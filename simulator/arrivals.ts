import { z } from 'zod';
import type { Random } from '../router/core/random.js';
import { checkInput, expected } from './input-check.js';

// Where run.ts has always found it.
export { isObject } from './input-check.js';

/**
 * Arrival processes for the workload generator, drawn lazily from one seeded stream.
 *
 * A base renewal process (constant, Poisson, Gamma) runs in *operational time* τ at the
 * mean rate λ; a rate multiplier m(t) (flash crowds, ramps) bends it into scenario time
 * t = Λ⁻¹(τ) with Λ(t) = ∫₀ᵗ m(s) ds. For Poisson this is exactly a non-homogeneous
 * Poisson process with rate λ·m(t) (the time-change theorem); for constant and Gamma it
 * keeps the shape of the gaps while the rate follows m(t). One uniform draw per arrival
 * (Gamma: a few), no thinning, so the sequence is cheap and reproducible.
 */

/** A rate change for a while: the rate is multiplied by `multiplier` in [startS, endS). */
export interface RatePhase {
  startS: number;
  endS: number;
  multiplier: number;
}

/** A linear ramp of the rate multiplier from 1 at startS to `toMultiplier` at endS (held after). */
export interface RateRamp {
  startS: number;
  endS: number;
  toMultiplier: number;
}

export type BaseProcess = 'constant' | 'poisson' | 'gamma';

export interface ArrivalSpec {
  process: BaseProcess;
  /** Mean arrivals per second (before multipliers). */
  rate: number;
  /** Gamma shape k: gaps ~ Gamma(k, θ = 1/(kλ)), mean 1/λ, CV² = 1/k (k < 1 = burstier than Poisson). */
  shape?: number;
  phases?: readonly RatePhase[];
  ramp?: RateRamp;
}

/** A lazy sequence of arrival times in ms, non-decreasing. */
export interface ArrivalProcess {
  /** The next arrival time (scenario ms). Never ends. */
  next(): number;
}

// ---------------------------------------------------------------- samplers

/** Exp(1): −ln(1 − U). */
export function exponential(r: Random): number {
  return -Math.log(1 - r.next());
}

/** Standard normal by Box–Muller (two uniforms per draw: a fixed draw count keeps streams aligned). */
export function normal(r: Random): number {
  const u1 = 1 - r.next(); // (0, 1]
  const u2 = r.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Lognormal with the given median and log-sd: median · exp(σ·Z). */
export function lognormal(r: Random, median: number, sigma: number): number {
  return sigma === 0 ? median : median * Math.exp(sigma * normal(r));
}

/**
 * Gamma(k, 1) by Marsaglia & Tsang (2000): d = k − 1/3, c = 1/√(9d), v = (1 + cZ)³,
 * accept when ln U < Z²/2 + d − dv + d·ln v. For k < 1: Gamma(k+1) · U^(1/k).
 */
export function gamma(r: Random, k: number): number {
  if (k < 1) return gamma(r, k + 1) * Math.pow(1 - r.next(), 1 / k);
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = normal(r);
    const v0 = 1 + c * z;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = 1 - r.next();
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

// ---------------------------------------------------------------- rate multiplier

/** One segment [t0, t1) of m(t) = m0 + slope·(t − t0), with Λ at its start. */
interface Segment {
  t0: number;
  t1: number;
  m0: number;
  slope: number;
  lambda0: number;
}

/** m(t) as a product of the phases active at t and the ramp factor at t. */
function multiplierAt(t: number, phases: readonly RatePhase[], ramp: RateRamp | undefined): number {
  let m = 1;
  for (const p of phases) if (t >= p.startS && t < p.endS) m *= p.multiplier;
  if (ramp) {
    if (t >= ramp.endS) m *= ramp.toMultiplier;
    else if (t > ramp.startS) m *= 1 + ((ramp.toMultiplier - 1) * (t - ramp.startS)) / (ramp.endS - ramp.startS);
  }
  return m;
}

/**
 * Piecewise-linear m(t) cut at every phase/ramp boundary, so within a segment the
 * phases are constant and the ramp linear. Times in seconds.
 */
function buildSegments(phases: readonly RatePhase[], ramp: RateRamp | undefined): Segment[] {
  const cuts = new Set<number>([0]);
  for (const p of phases) (cuts.add(p.startS), cuts.add(p.endS));
  if (ramp) (cuts.add(ramp.startS), cuts.add(ramp.endS));
  const points = [...cuts].filter((c) => c >= 0).sort((a, b) => a - b);
  const segs: Segment[] = [];
  let lambda = 0;
  for (let i = 0; i < points.length; i++) {
    const t0 = points[i]!;
    const t1 = i + 1 < points.length ? points[i + 1]! : Infinity;
    const m0 = multiplierAt(t0, phases, ramp);
    let slope = 0;
    if (Number.isFinite(t1)) {
      // Value just before t1 (limit from the left), so a ramp ending at t1 is included.
      const mid = (t0 + t1) / 2;
      slope = (multiplierAt(mid, phases, ramp) - m0) / (mid - t0);
    }
    segs.push({ t0, t1, m0, slope, lambda0: lambda });
    if (Number.isFinite(t1)) lambda += m0 * (t1 - t0) + (slope * (t1 - t0) ** 2) / 2;
  }
  return segs;
}

/** Λ⁻¹(τ) with a forward-only cursor (τ never decreases). */
function inverter(segs: Segment[]): (tau: number) => number {
  let i = 0;
  return (tau) => {
    while (i + 1 < segs.length && segs[i + 1]!.lambda0 <= tau) i++;
    const s = segs[i]!;
    const r = tau - s.lambda0;
    if (r <= 0) return s.t0;
    // Solve m0·x + slope·x²/2 = r for x ≥ 0; x = 2r / (m0 + √(m0² + 2·slope·r)) is stable for any slope.
    const x = s.slope === 0 ? r / s.m0 : (2 * r) / (s.m0 + Math.sqrt(s.m0 * s.m0 + 2 * s.slope * r));
    return s.t0 + x;
  };
}

// ---------------------------------------------------------------- processes

const seconds = z.number(expected('a number of seconds >= 0')).min(0, expected('a number of seconds >= 0'));
const multiplier = z.number(expected('a positive number')).positive(expected('a positive number'));

/** One phase [startS, endS) of a rate multiplier. */
const phaseSchema = z
  .looseObject({ startS: seconds, endS: seconds, multiplier }, expected('{startS, endS, multiplier}'))
  .refine((p) => p.endS > p.startS, { error: (iss) => `expected 0 <= startS < endS, got ${rangeOf(iss.input)}` });
const rampSchema = z
  .looseObject({ startS: seconds, endS: seconds, toMultiplier: multiplier }, expected('{startS, endS, toMultiplier}'))
  .refine((r) => r.endS > r.startS, { error: (iss) => `expected 0 <= startS < endS, got ${rangeOf(iss.input)}` });
const rangeOf = (v: unknown): string => {
  const o = v as { startS?: unknown; endS?: unknown };
  return `${String(o.startS)}..${String(o.endS)}`;
};

/** An arrival spec's schema; errors name the field (`workload.rate: ...`). */
export const arrivalSpecSchema = z
  .looseObject({
    rate: z.number(expected('a positive number of arrivals per second')).positive(expected('a positive number of arrivals per second')),
    process: z.enum(['constant', 'poisson', 'gamma'], {
      error: (iss) => `unknown arrival process ${JSON.stringify(iss.input)}; expected constant, poisson or gamma`,
    }),
    shape: z.number(expected('a positive number')).positive(expected('a positive number')).optional(),
    phases: z.array(phaseSchema, expected('a list of {startS, endS, multiplier}')).optional(),
    ramp: rampSchema.optional(),
  })
  .refine((s) => s.process !== 'gamma' || s.shape !== undefined, { path: ['shape'], error: 'gamma arrivals need a positive shape k' });

/** Validate an arrival spec; errors name the field under `workload.`. */
export function validateArrivals(spec: ArrivalSpec): void {
  checkInput(arrivalSpecSchema, spec, 'workload');
}

/** A lazy arrival process; `random` should be the dedicated 'arrivals' stream. */
export function createArrivals(spec: ArrivalSpec, random: Random): ArrivalProcess {
  validateArrivals(spec);
  const lambda = spec.rate;
  const k = spec.shape ?? 1;
  const phases = spec.phases ?? [];
  const bent = phases.length > 0 || spec.ramp !== undefined;
  const toScenario = bent ? inverter(buildSegments(phases, spec.ramp)) : (tau: number) => tau;
  let tau = 0; // operational seconds
  let n = 0;
  const gap = spec.process === 'poisson' ? () => exponential(random) / lambda : () => gamma(random, k) / (k * lambda);
  return {
    next() {
      // Constant: τ_n = n/λ from t = 0 (no summed float drift); random processes start one gap in.
      if (spec.process === 'constant') tau = n++ / lambda;
      else tau += gap();
      return toScenario(tau) * 1000;
    },
  };
}
