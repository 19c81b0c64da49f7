import { describe, expect, it } from 'vitest';
import { pairedCompare, pairedRows, verdictOf } from '../scenarios/seeds/paired.js';
import type { ResultsFile } from '../reports/contract.js';
import { formatSummary } from '../scenarios/cli/summary.js';
import { summaryRows } from '../reports/table.js';
import { buildCharts } from '../reports/specs.js';
import { cacheRows } from '../reports/specs-cache.js';

/**
 * Scenario prefix-cache, paired over fixed seeds (1..3), 40 s each (about 800 requests a
 * run; a paired t interval per metric): prefix-affinity against round-robin and sticky.
 * The full figures (5 seeds, 90 s) are in the README; this is the regression guard.
 */

describe('prefix-cache: prefix-affinity against round-robin and sticky (paired seeds 1..3, 40 s)', () => {
  it('cuts cost per 1k ok and TTFT p50 significantly, keeps p99 within the SLO, and caches close to the oracle', async () => {
    const report = await pairedCompare('prefix-cache', 'prefix-affinity', ['round-robin', 'sticky'], [1, 2, 3], ['costPer1kOk', 'ttftMs.p50', 'cachedTokenShare'], {
      durationS: 40,
    });
    const v = (metric: string, baseline: string) => report.rows.find((r) => r.metric === metric && r.baseline === baseline)!;
    for (const b of ['round-robin', 'sticky']) {
      expect(v('costPer1kOk', b).verdict, b).toBe('lower');
      expect(v('ttftMs.p50', b).verdict, b).toBe('lower');
    }
    expect(v('cachedTokenShare', 'round-robin').verdict).toBe('higher');
    for (const r of report.perSeed) {
      const pa = r.strategies.find((s) => s.strategy === 'prefix-affinity')!.summary;
      expect(pa.latencyMs.p99, `seed ${r.seed}`).toBeLessThanOrEqual(20_000); // the scenario's p99 SLO
      // within 10 points of the oracle placement's share (the reference, not a strict bound)
      expect(pa.cachedTokenShare!).toBeGreaterThan(pa.oracleCachedTokenShare! - 0.1);
      expect(pa.cacheSavingsUsd!).toBeGreaterThan(0);
    }
    // the results carry the cache columns into the report table and the terminal summary
    const table = summaryRows(report.perSeed[0]!);
    expect(table.columns.map((c) => c.label)).toEqual(expect.arrayContaining(['TTFT p50 ms', 'cached tokens %', 'cache saved USD']));
    expect(formatSummary(report.perSeed[0]!)).toMatch(/prompt cache \(oracle placement: \d+\.\d% of input tokens cached\)/);
    // ... and a prompt-cache chart (3 panels per strategy), which results without prefixes do not get
    expect(buildCharts(report.perSeed[0]!).map((c) => c.id)).toContain('prompt-cache');
    expect(cacheRows(report.perSeed[0]!)).toHaveLength(3 * 3);
    const plain = { ...report.perSeed[0]!, strategies: report.perSeed[0]!.strategies.map((x) => ({ ...x, summary: { ...x.summary, cachedTokenShare: undefined } })) };
    expect(buildCharts(plain).map((c) => c.id)).not.toContain('prompt-cache');
  });
});

describe('paired verdicts', () => {
  const file = (seed: number, a: number, b: number): ResultsFile =>
    ({ scenario: 's', mode: 'sim', seed, durationS: 1, strategies: [{ strategy: 'a', summary: { costPer1kOk: a } }, { strategy: 'b', summary: { costPer1kOk: b } }] }) as unknown as ResultsFile;

  it('reads lower / higher / no difference from the t interval of per-seed differences', () => {
    const lower = pairedRows([file(1, 1, 2), file(2, 1.1, 2), file(3, 0.9, 2)], 'a', ['b'], ['costPer1kOk'])[0]!;
    expect(lower.verdict).toBe('lower');
    expect(lower.diff.mean).toBeCloseTo(-1, 12);
    expect(lower.relative).toBeCloseTo(-0.5, 12);
    const noisy = pairedRows([file(1, 1, 2), file(2, 3, 2), file(3, 2, 2)], 'a', ['b'], ['costPer1kOk'])[0]!;
    expect(noisy.verdict).toBe('no significant difference');
    expect(verdictOf({ mean: 1, lo: 0.5, hi: 1.5, n: 3 })).toBe('higher');
    expect(verdictOf({ mean: -1, lo: -1, hi: -1, n: 1 })).toBe('no significant difference'); // one seed: no spread known
  });

  it('a metric missing for a strategy is an error naming it', () => {
    expect(() => pairedRows([file(1, 1, 2)], 'a', ['b'], ['cachedTokenShare'])).toThrow(/seed 1: no cachedTokenShare for strategy "a"/);
  });
});
