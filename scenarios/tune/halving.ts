/**
 * Successive halving (Jamieson & Talwalkar 2016; the inner loop of Hyperband): evaluate
 * many configs cheaply, keep the best 1/eta, give the survivors eta times the budget,
 * repeat until the last rung runs on the full budget (every search seed, full duration).
 *
 *   rungs R = max(1, ceil(log_eta n));  rung i (0..R-1) keeps n_i = max(1, floor(n / eta^i))
 *   budget fraction f_i = eta^-(R-1-i)  of  (K seeds × full duration)
 *   seeds_i = max(1, ceil(K · f_i));  duration_i = clamp(full · f_i · K / seeds_i, minDuration, full)
 * Budget goes to seeds first (a seed is a whole run), the rest to a shorter run.
 * `minDuration` keeps every fault inside the run (a truncated run that never reaches
 * the outage would rank configs on the wrong problem).
 */

export interface Rung {
  index: number;
  /** Configs evaluated at this rung. */
  configs: number;
  /** The first `seeds` search seeds. */
  seeds: number;
  durationS: number;
}

export function planRungs(n: number, eta: number, maxSeeds: number, fullDurationS: number, minDurationS: number): Rung[] {
  if (!(n >= 1) || !(eta >= 2) || !(maxSeeds >= 1)) throw new Error(`planRungs: need n >= 1, eta >= 2, seeds >= 1 (got ${n}, ${eta}, ${maxSeeds})`);
  const R = Math.max(1, Math.ceil(Math.log(n) / Math.log(eta) - 1e-9));
  const rungs: Rung[] = [];
  for (let i = 0; i < R; i++) {
    const f = Math.pow(eta, -(R - 1 - i));
    const seeds = Math.max(1, Math.ceil(maxSeeds * f - 1e-9));
    const dur = Math.min(fullDurationS, Math.max(Math.min(minDurationS, fullDurationS), (fullDurationS * f * maxSeeds) / seeds));
    rungs.push({ index: i, configs: Math.max(1, Math.floor(n / Math.pow(eta, i))), seeds, durationS: Math.round(dur * 1000) / 1000 });
  }
  return rungs;
}

/** Total runs the plan costs (configs × seeds per rung). */
export function planRuns(rungs: readonly Rung[]): number {
  return rungs.reduce((s, r) => s + r.configs * r.seeds, 0);
}
