import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Interval, ResultsFile } from '../reports/contract.js';
import { gate, welch } from '../scenarios/stats/gate.js';
import { gateAgainstFile, runSeeds, seedList } from '../scenarios/seeds/multi-seed.js';
import { runScenario } from '../scenarios/modes/runner.js';
import { formatSummary } from '../scenarios/cli/summary.js';
import { writeSlowScenario } from './tune-scenario.js';

/**
 * The regression gate: an identical run passes; an injected regression fails, both as
 * doctored numbers (p99 +50%) and as a real one (weighted routing most traffic to the 3x
 * slower host, run through the simulator). Welch's test on known numbers. 3 seeds of
 * the small synthetic scenario.
 */

let dir = '';
let file = '';
let baseline: ResultsFile;

beforeAll(async () => {
  ({ dir, file } = writeSlowScenario());
  baseline = await runSeeds(file, undefined, seedList(7, 3));
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('runSeeds', () => {
  it('the summary table says it shows means over the seeds, and prints the 95% intervals (never below 0)', () => {
    const text = formatSummary(baseline);
    expect(text.split('\n')[0]).toContain('means over 3 seeds 7..9');
    const ci = text.slice(text.indexOf('95% confidence intervals'));
    expect(ci).toMatch(/weighted +error rate [\d.]+\.\.[\d.]+ % +p99 \d+\.\.\d+ ms/);
    expect(ci).not.toMatch(/-\d/);
  });

  it('aggregates every strategy over the seeds with 95% CIs', () => {
    expect(baseline.seeds).toEqual([7, 8, 9]);
    expect(baseline.strategies.map((s) => s.strategy)).toEqual(['weighted', 'round-robin']);
    for (const s of baseline.strategies) {
      const ci = s.ci!['latencyMs.p99']!;
      expect(ci.n).toBe(3);
      expect(ci.lo).toBeLessThanOrEqual(ci.mean);
      expect(ci.hi).toBeGreaterThan(ci.lo);
      expect(s.regret).toBeDefined();
    }
  });

  it('a single seed equals what sim mode writes for that seed', async () => {
    const one = await runSeeds(file, ['weighted'], [7]);
    const run = await runScenario({ scenario: file, mode: 'sim', strategies: ['weighted'], seed: 7, out: join(dir, 'sim'), noReport: true, log: () => {} });
    const { ci: _ci, ...agg } = one.strategies[0]!;
    expect(JSON.parse(JSON.stringify(agg))).toEqual(JSON.parse(JSON.stringify(run.results.strategies[0])));
  }, 60_000);
});

describe('gate', () => {
  it('passes an identical run', async () => {
    const again = await runSeeds(file, undefined, seedList(7, 3));
    const g = gate(again, baseline);
    expect(g.ok).toBe(true);
    expect(g.checks.every((c) => c.test === 'welch' && !c.worse)).toBe(true);
    expect(g.lines.at(-1)).toMatch(/passed/);
  }, 60_000);

  it('fails on an injected regression (p99 +50% for one strategy) and names it', () => {
    const bad: ResultsFile = structuredClone(baseline);
    const s = bad.strategies[1]!;
    const ci = s.ci!['latencyMs.p99']!;
    s.ci!['latencyMs.p99'] = { mean: ci.mean * 1.5, lo: ci.lo * 1.5, hi: ci.hi * 1.5, n: ci.n };
    s.summary.latencyMs.p99 *= 1.5;
    const g = gate(bad, baseline);
    expect(g.ok).toBe(false);
    const failed = g.checks.filter((c) => c.worse).map((c) => `${c.strategy} ${c.metric}`);
    expect(failed).toEqual(['round-robin latencyMs.p99']);
    expect(g.lines.some((l) => l.startsWith('FAIL round-robin latencyMs.p99'))).toBe(true);
  });

  it('fails on a real regression: weighted sending most traffic to the slow host', async () => {
    const yaml = join(dir, 'regressed.yaml');
    const { readFileSync } = await import('node:fs');
    writeFileSync(
      yaml,
      readFileSync(file, 'utf8').replace('strategies: [weighted, round-robin]', 'strategies: [{ name: weighted, params: { weights: { slow: 20 } } }, round-robin]'),
    );
    const regressed = await runSeeds(yaml, undefined, seedList(7, 3));
    const g = gate(regressed, baseline);
    expect(g.ok).toBe(false);
    expect(g.checks.find((c) => c.strategy === 'weighted' && c.metric === 'latencyMs.p99')!.worse).toBe(true);
    expect(g.checks.find((c) => c.strategy === 'round-robin' && c.metric === 'latencyMs.p99')!.worse).toBe(false);
  }, 60_000);

  it('reads the baseline from a file and rejects a malformed one naming the field', () => {
    const path = join(dir, 'baseline.json');
    writeFileSync(path, JSON.stringify(baseline));
    expect(gateAgainstFile(baseline, path).ok).toBe(true);
    writeFileSync(path, JSON.stringify({ ...baseline, mode: 'warp' }));
    expect(() => gateAgainstFile(baseline, path)).toThrow(/mode/);
    expect(() => gateAgainstFile(baseline, join(dir, 'missing.json'))).toThrow(/cannot read baseline/);
  });

  it('single-seed runs use the interval rule; tolerances apply', () => {
    const one = (v: number): Interval => ({ mean: v, lo: v, hi: v, n: 1 });
    const mk = (p99: Interval): ResultsFile => ({
      scenario: 'x',
      mode: 'sim',
      seed: 1,
      durationS: 1,
      strategies: [{ strategy: 's', summary: baseline.strategies[0]!.summary, timeline: [], ci: { 'latencyMs.p99': p99 } }],
    });
    const base = mk(one(1000));
    expect(gate(mk(one(1040)), base, { metrics: ['latencyMs.p99'] }).ok).toBe(true); // within 5%
    const g = gate(mk(one(1100)), base, { metrics: ['latencyMs.p99'] });
    expect(g.ok).toBe(false);
    expect(g.checks[0]!.test).toBe('interval');
    expect(gate(mk(one(1100)), base, { metrics: ['latencyMs.p99'], relTol: 0.2 }).ok).toBe(true);
  });

  it("Welch's t and df match a hand computation", () => {
    // c: mean 12, s 2, n 4; b: mean 10, s 1, n 5 (CIs built with t_{0.975,n-1})
    const ciOf = (m: number, s: number, n: number, t: number): Interval => ({ mean: m, lo: m - (t * s) / Math.sqrt(n), hi: m + (t * s) / Math.sqrt(n), n });
    const c = ciOf(12, 2, 4, 3.182446305284263);
    const b = ciOf(10, 1, 5, 2.7764451051977987);
    // se² = 4/4 + 1/5 = 1.2; t = 2 / sqrt(1.2) = 1.82574; df = 1.44 / (1/3 + 0.04/4) = 4.19417
    const w = welch(c, b);
    expect(w.t).toBeCloseTo(1.825742, 5);
    expect(w.df).toBeCloseTo(4.194175, 5);
  });
});
