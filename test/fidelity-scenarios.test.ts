import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatFidelity } from '../scenarios/fidelity/fidelity-format.js';
import { runFidelity } from '../scenarios/fidelity/fidelity-run.js';
import { scenarioNames } from '../scenarios/setup/load.js';

/**
 * Every shipped scenario (every YAML file in scenarios/, so a new one cannot be left out)
 * runs in virtual time and over real loopback sockets (`--mode both`) and is checked against
 * the tolerances of scenarios/fidelity/fidelity.ts. Kept bounded for CI (~2-3 min alone on 2 cores):
 * round-robin only (it does not react to latency, so what is compared is the simulator's
 * providers and faults, not how a latency-driven pick amplifies a few ms of scheduling), http
 * in real time (speed 1: a busy machine's timer lateness is not multiplied), timelines
 * shortened (phases scale with them): to 20 s where a fault's story needs the router's
 * ejection times (5 s base) to fit inside it, else 8 s.
 *
 * A latency row outside tolerance by no more than the runner's own timer lateness is
 * inconclusive (fidelity.ts isExcused) and not counted; every other row is judged.
 *
 * KNOWN_DISAGREEMENT: scenarios measured outside tolerance whose cause is not yet removed
 * (README "Fidelity of the shipped scenarios"). They still run: the same requests at the same
 * scenario times in both worlds is asserted, the tolerances are not; the reason is in the
 * test name. Nothing is widened here (fidelity.ts WIDENED is the one place for that).
 */

const LONG: ReadonlySet<string> = new Set(['outage-failover', 'stream-faults', 'provider-faults']);
const KNOWN_DISAGREEMENT: Readonly<Record<string, string>> = {
  'outage-failover': 'provider shares 3-6 points apart and failover s 5.3 vs none in 2 of 3 runs (load average 11-22): which host meets the outage in flight depends on the order near-simultaneous requests reach the proxy',
  'stream-faults': "the flaky host's share 8-27% vs 12% in sim in 3 of 3 runs: it is ejected by a race of consecutive failures that the order of near-simultaneous requests decides",
  'mixed-workload': 'round-robin shares 5-8 points apart and cost per 1k ok -4..+19% in 3 of 3 runs: partly the order near-simultaneous arrivals reach the proxy (a request meets another provider and its draws), partly a cool-down of the expensive host after a 529 seen in sim only (not yet separated)',
  'flash-crowd': 'error rate 24% vs 0-1% in 2 of 2 runs at load average 20+: the CPU-starved proxy queues the 5x spike itself, so the providers never see a full queue (within 3 points at load 8-12)',
  'provider-faults': "broken-streams' share +9 points and cost per 1k ok +8% at load average 4 (one run; latency was the only gap at load 19-35): the revoked-key host's ejection and the order of near-simultaneous requests; not yet separated",
  'rate-limit-storm': "groq's share +10.5 points, the other two -5 each, cost per 1k ok +17% in one clean CI run at load average 2 (seed 3, 8 s), after agreeing on every check in two runs at load 4-20: round-robin's turn order after 429s and Retry-After cool-downs depends on which near-simultaneous request reaches the proxy first; not yet separated",
  'prefix-cache': "mini-a's share +4 points and cost per 1k ok +7% (load average 20+); the cause is not separated from the machine's load",
};
const STRATEGY = 'round-robin';
const SPEED = 1;

const out = mkdtempSync(join(tmpdir(), 'fidelity-scenarios-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('sim and http agree on every shipped scenario', () => {
  it('every known disagreement names a shipped scenario', () => {
    expect(Object.keys(KNOWN_DISAGREEMENT).filter((s) => !scenarioNames().includes(s))).toEqual([]);
  });

  for (const scenario of scenarioNames()) {
    const known = KNOWN_DISAGREEMENT[scenario];
    it(`${scenario}${known ? ` (known disagreement, tolerances not asserted: ${known})` : ''}`, async () => {
      const dir = join(out, scenario);
      const durationS = LONG.has(scenario) ? 20 : 8;
      const run = await runFidelity({ scenario, strategies: [STRATEGY], durationS, speed: SPEED, noReport: true, out: dir, log: () => {} });
      const table = formatFidelity(run.report);
      // Same requests at the same scenario times in both worlds.
      expect(run.http.strategies[0]!.summary.requests, table).toBe(run.sim.strategies[0]!.summary.requests);
      // fidelity.json is what was printed.
      expect(JSON.parse(readFileSync(join(dir, 'fidelity.json'), 'utf8')).outside).toBe(run.report.outside);
      if (!known) expect(run.report.outside, table).toBe(0);
    }, 120_000);
  }
});
