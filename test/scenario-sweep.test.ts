/**
 * Capacity sweep: a synthetic provider with a fixed capacity (10 concurrent requests, no
 * queue, every request exactly 1 s: TTFT 500 ms + 50 tokens at 100 tokens/s, no jitter, no
 * slowdown, no faults) under constant arrivals serves any load below 10 req/s with no error
 * and turns away the excess above it. On the grid 5, 7, 9, 11, 13, 15 req/s the knee (the
 * highest load meeting the SLO) must be 9. Virtual time, one seed, 20 s per point.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenarioArgs } from '../scenarios/cli/args.js';
import { capacities, parseSweep, runSweep, sweepRates } from '../scenarios/seeds/sweep.js';

const YAML = `
name: fixed-capacity
question: Where is the knee?
headline: { metrics: [goodputRps], expectedWinner: round-robin }
seed: 1
providers:
  - profile: openai-gpt-4o-mini
    id: only
    overrides:
      ttft: { medianMs: 500, sigma: 0 }
      throughput: { tokensPerSecond: 100, jitter: 0 }
      capacity: { maxConcurrent: 10, queue: 0, fullStatus: 503, slowdown: 0 }
      failures: { baseErrorRate: 0, bursty: null }
load:
  arrivals: constant
  rate: 5
  durationS: 20
  mix: [{ class: general, inputTokens: 100, outputTokens: 50 }]
strategies: [round-robin]
router:
  retry: { maxAttempts: 1 }
slo: { p99Ms: 5000, errorRate: 0.01 }
`;

describe('capacity sweep', () => {
  it('finds the known knee of a provider with a fixed capacity', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-'));
    const file = join(dir, 'fixed-capacity.yaml');
    writeFileSync(file, YAML);
    const spec = parseSweep('rate=5..15/6');
    expect(sweepRates(spec)).toEqual([5, 7, 9, 11, 13, 15]);
    const s = await runSweep(file, undefined, spec, [1], { workers: 0 });
    expect(s.capacity).toEqual({ 'round-robin': 9 });
    const at = (rate: number) => s.points.find((p) => p.rate === rate)!;
    // Below the knee goodput follows the offered load; above it, it stays near 10 req/s.
    expect(at(9).goodputRps).toBeGreaterThan(8.5);
    expect(at(9).errorRate).toBe(0);
    expect(at(15).goodputRps).toBeLessThan(11);
    expect(at(15).errorRate).toBeGreaterThan(0.2);
  }, 60_000);

  it('capacity is the last load before the first SLO failure', () => {
    const p = (rate: number, meetsSlo: boolean) => ({ rate, strategy: 's', goodputRps: rate, p99Ms: 1, errorRate: 0, meetsSlo });
    expect(capacities([p(10, true), p(20, true), p(30, false), p(40, true)])).toEqual({ s: 20 });
    expect(capacities([p(10, false), p(20, true)])).toEqual({ s: null });
  });

  it('refuses an empty, inverted or malformed range naming --sweep', () => {
    expect(() => parseSweep('rate=20..10')).toThrow('--sweep: empty or inverted range 20..10');
    expect(() => parseSweep('rate=10..10')).toThrow('--sweep: empty or inverted range');
    expect(() => parseSweep('')).toThrow(/--sweep: expected rate=FROM\.\.TO/);
    expect(() => parseSweep('rate=..5')).toThrow(/--sweep: .*both ends must be numbers > 0/);
    expect(() => parseSweep('rate=1..5/1')).toThrow('--sweep: STEPS must be an integer from 2 to 50');
    expect(() => parseScenarioArgs(['capacity', '--sweep', 'rate=1..5'])).toThrow('--sweep needs --mode sim');
    expect(parseScenarioArgs(['capacity', '--mode', 'sim', '--sweep', 'rate=1..5']).sweep).toEqual({ param: 'rate', from: 1, to: 5, steps: 8 });
  });
});
