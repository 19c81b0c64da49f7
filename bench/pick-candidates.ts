/**
 * The synthetic candidates the pick micro-benchmarks share (adaptive-pick.ts,
 * adaptive-class-pick.ts): n endpoints, each a little slower, dearer and less reliable than
 * the one before, with a snapshot of recent latencies.
 */
import type { Candidate } from '../router/core/types.js';

/** n candidates in health `state`; `classesOf(i)` gives endpoint i's declared classes (absent: none set). */
export function pickCandidates(n: number, state: string, classesOf?: (i: number) => string[]): Candidate[] {
  return Array.from({ length: n }, (_, i) => ({
    endpoint: {
      id: `ep-${i}`,
      provider: `p${i}`,
      model: 'm',
      upstreamModel: 'm',
      weight: 1,
      ...(classesOf ? { classes: classesOf(i) } : {}),
      price: { input: 0.1 * (i + 1), output: 0.4 * (i + 1) },
    },
    health: { state, available: true, slowStart: 1, ejections: 0 },
    stats: {
      successRate: 0.99 - 0.01 * i,
      latencyMs: 400 + 50 * i,
      inFlight: 2 + i,
      priceFactor: 1,
      recentLatenciesMs: Array.from({ length: 10 }, (_, j) => 350 + 50 * i + 10 * j),
      lastSuccessAt: 0,
      lastFailureAt: null,
    },
  })) as unknown as Candidate[];
}
