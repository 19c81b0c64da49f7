/**
 * The one-off sim scripts (scripts/sim-once.ts: router-paired, phase-outcomes, failover-bound,
 * oracle-p99, attempt-trace) simulate exactly what sim mode does. They used to build the run
 * themselves and left out replicas, the response cache and load.maxTokens, so a script run of
 * replicas-outage measured one router instead of the scenario's replicas.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../scenarios/modes/runner.js';
import { loadForScript, simOnce } from '../scripts/sim-once.js';

describe('scripts/sim-once.ts', () => {
  it('gives the same summary as sim mode for the same strategy and seed (replicas-outage: several replicas)', async () => {
    const s = loadForScript('replicas-outage');
    if (typeof s === 'number') throw new Error('replicas-outage did not load');
    expect(s.scenario.replicas).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'sim-once-'));
    const mode = await runScenario({ scenario: 'replicas-outage', mode: 'sim', strategies: ['adaptive'], noReport: true, oracle: false, out: dir, log: () => {} });
    const script = await simOnce(s, 'adaptive', s.scenario.seed, { oracle: false });
    const a = mode.results.strategies[0]!.summary;
    const b = script.result.summary;
    expect(b.requests).toBe(a.requests);
    expect(b.latencyMs.p99).toBe(a.latencyMs.p99);
    expect(b.errorRate).toBe(a.errorRate);
    expect(b.costPer1kOk).toBe(a.costPer1kOk);
  }, 60_000);
});
