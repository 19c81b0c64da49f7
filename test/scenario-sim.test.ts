import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResults } from '../reports/validate.js';
import { loadScenario, scenarioNames } from '../scenarios/setup/load.js';
import { runScenario } from '../scenarios/modes/runner.js';
import { formatSummary } from '../scenarios/cli/summary.js';

/**
 * Every shipped scenario in sim mode with a short duration (its phases scale with
 * --duration, so the story still happens): results.json valid against the contract.
 * Determinism: same seed -> byte-identical `strategies` section.
 */
const out = mkdtempSync(join(tmpdir(), 'scenario-sim-'));

describe('sim mode', () => {
  for (const name of scenarioNames()) {
    it(`${name}: runs and writes a valid results.json`, async () => {
      const dir = join(out, name);
      const run = await runScenario({ scenario: name, mode: 'sim', durationS: 8, out: dir, noReport: true });
      const onDisk = parseResults(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')), name);
      expect(onDisk.scenario).toBe(name);
      expect(onDisk.mode).toBe('sim');
      expect(onDisk.durationS).toBe(8);
      expect(onDisk.strategies.length).toBeGreaterThanOrEqual(loadScenario(name).scenario.replicas ? 4 : 6); // replicas: each strategy @local and @shared
      for (const s of onDisk.strategies) {
        expect(s.summary.requests).toBeGreaterThan(0);
        expect(s.timeline.length).toBeGreaterThanOrEqual(8);
      }
      expect(formatSummary(run.results)).toContain(onDisk.strategies[0]!.strategy);
    });
  }

  it('same seed -> identical strategies section; another seed differs', async () => {
    const opts = { scenario: 'outage-failover', mode: 'sim' as const, durationS: 6, strategies: ['round-robin', 'latency', 'adaptive'], noReport: true };
    const a = await runScenario({ ...opts, out: join(out, 'det-a') });
    const b = await runScenario({ ...opts, out: join(out, 'det-b') });
    const c = await runScenario({ ...opts, seed: 99, out: join(out, 'det-c') });
    expect(JSON.stringify(b.results.strategies)).toBe(JSON.stringify(a.results.strategies));
    expect(JSON.stringify(c.results.strategies)).not.toBe(JSON.stringify(a.results.strategies));
  });

  it('records the fault windows and SLOs for the report', async () => {
    const r = await runScenario({ scenario: 'outage-failover', mode: 'sim', durationS: 30, strategies: ['round-robin'], out: join(out, 'faults'), noReport: true });
    // 20..40 of 60 s, scaled to 30 s.
    expect(r.results.faults).toEqual([{ start: 10, end: 20, provider: 'fast-cheap', kind: 'error_burst' }]);
    expect(r.results.slo?.p99Ms).toBeGreaterThan(0);
    expect(r.results.strategies[0]!.summary.failoverS).not.toBeNull();
  });
});
