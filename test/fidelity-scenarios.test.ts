import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatFidelity } from '../scenarios/fidelity-format.js';
import { runFidelity } from '../scenarios/fidelity-run.js';

/**
 * Every shipped scenario tells the same story in virtual time and over real loopback
 * sockets (`--mode both`), within the tolerances of scenarios/fidelity.ts. Kept bounded
 * for CI: one strategy per scenario (each strategy once or more across the set), the
 * timeline shortened to 10 s (phases scale with it), http at speed 2 (trace-replay at 1:
 * its bursts reach ~280 req/s of 4 KB bodies). About 8 s of wall time per scenario alone on
 * 2 cores; the whole file stays under ~90 s.
 *
 * On a machine too busy to keep time (the runner's timers late by more than
 * fidelity.ts BUSY_SHARE of p50, in scenario ms) a real-socket run measures the machine,
 * not the simulator: the test is then skipped with the lateness it saw, never passed.
 */

const PLAN: ReadonlyArray<{ scenario: string; strategy: string; speed: number }> = [
  { scenario: 'outage-failover', strategy: 'latency', speed: 2 },
  { scenario: 'brownout', strategy: 'adaptive', speed: 2 },
  { scenario: 'flash-crowd', strategy: 'round-robin', speed: 2 },
  { scenario: 'mixed-workload', strategy: 'classifier', speed: 2 },
  { scenario: 'price-shift', strategy: 'cost', speed: 2 },
  { scenario: 'rate-limit-storm', strategy: 'weighted', speed: 2 },
  { scenario: 'stream-faults', strategy: 'latency', speed: 2 },
  { scenario: 'trace-replay', strategy: 'round-robin', speed: 1 },
];
const DURATION_S = 10;

const out = mkdtempSync(join(tmpdir(), 'fidelity-scenarios-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('sim and http agree on every shipped scenario', () => {
  for (const { scenario, strategy, speed } of PLAN)
    it(`${scenario} (${strategy})`, async (ctx) => {
      const dir = join(out, scenario);
      const run = await runFidelity({ scenario, strategies: [strategy], durationS: DURATION_S, speed, noReport: true, out: dir, log: () => {} });
      const table = formatFidelity(run.report);
      // Same requests at the same scenario times in both worlds.
      expect(run.http.strategies[0]!.summary.requests, table).toBe(run.sim.strategies[0]!.summary.requests);
      if (run.report.busy) return ctx.skip(`machine too busy to judge fidelity: ${table.split('\n').find((l) => l.startsWith('harness:'))}`);
      expect(run.report.outside, table).toBe(0);
      // fidelity.json is what was printed.
      expect(JSON.parse(readFileSync(join(dir, 'fidelity.json'), 'utf8')).outside).toBe(run.report.outside);
    }, 60_000);
});
