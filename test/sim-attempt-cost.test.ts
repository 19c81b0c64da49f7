/**
 * Sim results count the spend of every upstream attempt: hedges and retries cost money even
 * when the client gets one answer (summary.attemptCostUsd, wastedUsd, attemptCostPer1kOk:
 * what npm run tune's cost objective minimises). Seeded; exact comparisons within one run.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { runScenario } from '../scenarios/modes/runner.js';

const dir = mkdtempSync(join(tmpdir(), 'attempt-cost-'));

async function run(hedging: boolean, jsonOnly = false) {
  const s = YAML.parse(readFileSync(resolve(import.meta.dirname, '..', 'scenarios', 'brownout.yaml'), 'utf8')) as Record<string, unknown>;
  s.name = (hedging ? 'hedged' : 'plain') + (jsonOnly ? '-json' : '');
  if (jsonOnly) s.load = { ...(s.load as object), stream: 0 };
  s.router = { ...(s.router as object), hedging: { enabled: hedging, delayMs: 300 } };
  const file = join(dir, `${s.name as string}.yaml`);
  writeFileSync(file, YAML.stringify(s));
  const r = await runScenario({ scenario: file, mode: 'sim', durationS: 10, strategies: ['round-robin'], noReport: true, out: join(dir, s.name as string) });
  return r.results.strategies[0]!.summary;
}

describe('attempt spend in sim results', () => {
  it('hedging: more attempts, spend above the billed answers, the difference reported as wasted', async () => {
    const [plain, hedged] = [await run(false), await run(true)];
    for (const m of [plain, hedged]) {
      expect(m.attemptCostUsd!).toBeGreaterThanOrEqual(m.costUsd);
      expect(m.attemptCostPer1kOk).toBeCloseTo((m.attemptCostUsd! / m.ok) * 1000, 12);
    }
    expect(hedged.attemptsPerRequest).toBeGreaterThan(plain.attemptsPerRequest + 0.2);
    expect(hedged.wastedUsd!).toBeGreaterThan(plain.wastedUsd! * 2);
    // Billed cost alone hides the hedges; the attempt spend does not.
    expect(hedged.attemptCostPer1kOk! - hedged.costPer1kOk).toBeGreaterThan(plain.attemptCostPer1kOk! - plain.costPer1kOk);
  }, 60_000);

  it("a JSON race's loser, aborted after the winner's reply ended its request, is still billed", async () => {
    // Its attempt ends at its next event, after the request's record: it used to be dropped, so
    // 30% more attempts cost nothing. Billed in full (an upper bound), a hedged attempt costs at
    // least what an answer does (the long answers are the ones hedged).
    const m = await run(true, true);
    expect(m.attemptsPerRequest).toBeGreaterThan(1.2);
    const perAttempt = m.attemptCostUsd! / (m.requests * m.attemptsPerRequest);
    expect(perAttempt).toBeGreaterThan(0.95 * (m.costUsd / m.ok));
  }, 60_000);
});
