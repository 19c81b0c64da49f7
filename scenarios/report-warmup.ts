import type { ResultsFile, StrategyResult } from '../reports/contract.js';

/**
 * A small synthetic results file that has every chart of a real one (time series with a
 * fault window, stacked shares, quantiles, Pareto points, regret). A report worker
 * renders it once while the simulation runs, so vega's and resvg's code is compiled
 * (JIT) before the real charts arrive: the first real render is then ~1/3 faster.
 * Nothing is written; the numbers mean nothing.
 */
export function warmupResults(): ResultsFile {
  const providers = ['a', 'b', 'c'];
  const strategy = (name: string, k: number): StrategyResult => ({
    strategy: name,
    summary: {
      requests: 1000,
      ok: 990 - k,
      errors: 10 + k,
      errorRate: (10 + k) / 1000,
      throughputRps: 40,
      latencyMs: { p50: 900 + k, p90: 2000, p99: 4000 + 10 * k, p999: 9000, max: 20000 },
      ttftMs: { p50: 300, p99: 1200 },
      costUsd: 0.1 + k / 100,
      costPer1kOk: 0.1 + k / 100,
      attemptsPerRequest: 1.01,
      providerShare: { a: 0.5, b: 0.3, c: 0.2 },
      failoverS: 1 + k,
      recoverS: 2,
      qualityOk: 0.8,
    },
    timeline: Array.from({ length: 120 }, (_, t) => ({
      t,
      rps: 40 + ((t * 7 + k) % 9),
      p50: 900 + ((t * 13) % 200),
      p99: 4000 + ((t * 31 + k) % 900),
      errors: t >= 40 && t < 80 ? (t + k) % 3 : 0,
      costUsd: 0.004,
      share: t >= 40 && t < 80 ? { a: 0, b: 0.6, c: 0.4 } : { a: 0.5, b: 0.3, c: 0.2 },
    })),
    regret: { costUsd: 0.01 * k, p99Ms: 100 * k, errors: k },
  });
  return {
    scenario: 'warm-up',
    mode: 'sim',
    seed: 1,
    durationS: 120,
    strategies: ['one', 'two', 'three'].map(strategy),
    faults: [{ start: 40, end: 80, provider: providers[0]!, kind: 'outage' }],
    slo: { p99Ms: 5000, errorRate: 0.01, costPer1kOk: 0.2 },
  };
}
