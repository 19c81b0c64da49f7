import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../scenarios/modes/runner.js';

/**
 * Issue #21: the provider-faults scenario (a revoked key from 10 s; malformed and stalled
 * streams from 20 s to 45 s; two fault-free endpoints). In virtual time, every default
 * strategy ends with 0 client-visible errors, and the revoked endpoint is left alone once
 * its key was refused (a long ejection), not probed every few seconds.
 */

describe('provider-faults scenario (sim)', () => {
  it('0 client-visible errors for every default strategy while healthy endpoints remain', async () => {
    const out = mkdtempSync(join(tmpdir(), 'provider-faults-'));
    const run = await runScenario({ scenario: 'provider-faults', mode: 'sim', out, noReport: true });
    expect(run.results.strategies.map((s) => s.strategy)).toEqual([
      'round-robin',
      'weighted',
      'adaptive',
      'cost',
      'classifier',
      'latency',
      'baseline-litellm-latency',
      'baseline-envoy-least-request',
      'baseline-openrouter-price',
    ]);
    for (const s of run.results.strategies) {
      expect(s.summary.errors, s.strategy).toBe(0);
      expect(s.summary.requests, s.strategy).toBeGreaterThan(1000);
      // After the revocation at 10 s the revoked endpoint's share is nil (one refused attempt, then ejected for minutes).
      const after = s.timeline.filter((p) => p.t >= 12);
      const revoked = after.reduce((n, p) => n + (p.share['revoked-key'] ?? 0), 0) / after.length;
      expect(revoked, s.strategy).toBeLessThan(0.005);
    }
    // The faulty endpoints were really hit (the run is not trivially clean) by the spreading strategies.
    const rr = run.results.strategies[0]!.summary;
    expect(rr.providerShare['broken-streams']).toBeGreaterThan(0.05);
    expect(rr.attemptsPerRequest).toBeGreaterThan(1);
  }, 60_000);

  it('our six strategies stay at 0 errors over the default 10 paired seeds (21..30)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'provider-faults-seeds-'));
    const ours = ['round-robin', 'weighted', 'adaptive', 'cost', 'classifier', 'latency'];
    for (let seed = 21; seed <= 30; seed++) {
      const run = await runScenario({ scenario: 'provider-faults', mode: 'sim', seed, strategies: ours, out, noReport: true });
      for (const s of run.results.strategies) expect(s.summary.errors, `${s.strategy}, seed ${seed}`).toBe(0);
    }
  }, 90_000);
});
