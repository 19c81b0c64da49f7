import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { createMetrics, WINDOW_RAW_MAX } from '../simulator/metrics.js';

/**
 * Per-second windows keep raw latencies (their p50/p99 selected at summarize time) until they are large;
 * their p50/p99 must be exactly what a 2-digit HDR histogram of the same values reports
 * (clamped to the largest value).
 */
function reference(latenciesMs: number[]): { p50: number; p99: number } {
  const h = hdr.build({ bitBucketSize: 32, autoResize: true, lowestDiscernibleValue: 1, highestTrackableValue: 2, numberOfSignificantValueDigits: 2 });
  for (const ms of latenciesMs) h.recordValue(Math.max(1, Math.round(ms * 1000)));
  // Clamped to the largest value recorded, as the collector does.
  return { p50: Math.min(h.getValueAtPercentile(50), h.maxValue) / 1000, p99: Math.min(h.getValueAtPercentile(99), h.maxValue) / 1000 };
}

describe('metrics windows', () => {
  it('raw windows report the same p50/p99 as a histogram, below and above WINDOW_RAW_MAX (seeded)', () => {
    let seed = 42;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (const n of [1, 2, 3, 7, 100, 101, 999, WINDOW_RAW_MAX, WINDOW_RAW_MAX + 1, 5000]) {
      for (const scale of [0.002, 1, 40, 3000]) {
        const values = Array.from({ length: n }, () => scale * Math.exp(rnd() * 9));
        const m = createMetrics();
        for (const v of values) m.record({ tMs: 0, ok: true, latencyMs: v });
        const t = m.summarize({ durationS: 1 }).timeline[0]!;
        expect({ p50: t.p50, p99: t.p99 }, `n=${n} scale=${scale}`).toEqual(reference(values));
      }
    }
  });

  it('the selection matches a histogram on ties, sorted, reversed and constant input (seeded)', () => {
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (const n of [2, 5, 64, 100, 1000, WINDOW_RAW_MAX]) {
      const few = Array.from({ length: n }, () => [5, 5, 7, 12, 400][Math.floor(rnd() * 5)]!); // heavy ties
      const up = Array.from({ length: n }, (_, i) => 1 + i * 0.37);
      const inputs: Record<string, number[]> = { few, up, down: [...up].reverse(), constant: new Array<number>(n).fill(3.5), organ: up.map((v, i) => (i % 2 ? v : 1000 - v)) };
      for (const [name, values] of Object.entries(inputs)) {
        const m = createMetrics();
        for (const v of values) m.record({ tMs: 0, ok: true, latencyMs: v });
        const t = m.summarize({ durationS: 1 }).timeline[0]!;
        expect({ p50: t.p50, p99: t.p99 }, `${name} n=${n}`).toEqual(reference(values));
        m.dispose();
      }
    }
  });
});
