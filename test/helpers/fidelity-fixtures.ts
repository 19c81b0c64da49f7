import type { ResultsFile, StrategyResult, StrategySummary } from '../../reports/contract.js';

/** A strategy summary for fidelity tests: 1,000 requests, 1% errors, two providers; `over` replaces fields. */
export function fidelitySummary(over: Partial<StrategySummary> = {}): StrategySummary {
  return {
    requests: 1000,
    ok: 990,
    errors: 10,
    errorRate: 0.01,
    throughputRps: 20,
    latencyMs: { p50: 1000, p90: 2000, p99: 4000, p999: 6000, max: 8000 },
    ttftMs: { p50: 300, p99: 900 },
    costUsd: 1,
    costPer1kOk: 0.1,
    attemptsPerRequest: 1,
    providerShare: { a: 0.6, b: 0.4 },
    failoverS: 2,
    recoverS: null,
    errorsByKind: { http_500: 10 },
    ...over,
  };
}

/** A results file of one mode holding `strategies`. */
export function fidelityResults(mode: 'sim' | 'http', strategies: StrategyResult[]): ResultsFile {
  return { scenario: 'unit', mode, seed: 1, durationS: 50, strategies, faults: [], slo: {} };
}

/** One strategy's result around a summary. */
export const oneStrategy = (s: StrategySummary, name = 'round-robin'): StrategyResult => ({ strategy: name, summary: s, timeline: [] });
