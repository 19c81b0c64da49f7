import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../router/core/random.js';
import { parseTuneArgs } from '../scenarios/tune/args.js';
import { planRungs, planRuns } from '../scenarios/tune/halving.js';
import { compareVerdicts, describeObjective, judge } from '../scenarios/tune/objective.js';
import { sampleParam } from '../scenarios/tune/sampler.js';
import { searchSpace, TuneInputError } from '../scenarios/tune/space.js';
import { closest, runTune } from '../scenarios/tune/tune.js';
import { writeSlowScenario } from './tune-scenario.js';

/** Bad input, the halving plan, the sampler, the objective's ranking, and the CLI's exit codes. */

let dir = '';
let file = '';
beforeAll(() => {
  ({ dir, file } = writeSlowScenario());
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const quick = { budget: 3, seeds: 1, holdout: 0, durationS: 5, workers: 0, log: () => {} };

describe('bad input', () => {
  it('an unknown parameter lists the tunable ones', async () => {
    const err = await runTune({ scenario: file, ...quick, params: ['foo=1'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TuneInputError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/unknown parameter "foo"/);
    for (const n of ['params.weights.slow', 'stats.ewmaTauMs', 'health.consecutiveFailures', 'health.baseEjectionMs', 'retry.budgetRatio', 'hedging.delayMs'])
      expect(msg).toContain(n);
    await expect(runTune({ scenario: file, ...quick, only: ['nope'] })).rejects.toThrow(/--only: unknown parameter "nope"[\s\S]*params\.weights\.fast-a/);
    await expect(runTune({ scenario: file, ...quick, params: ['retry.budgetRatio=7'] })).rejects.toThrow(/in 0\.\.1/);
  });

  it('an unknown strategy lists the tunable strategies', async () => {
    await expect(runTune({ scenario: file, ...quick, strategy: 'magic' })).rejects.toThrow(/unknown strategy "magic"; tunable strategies: .*adaptive.*weighted/);
  });

  it('an objective no config satisfies is reported with the closest configs', async () => {
    const o = await runTune({ scenario: file, ...quick, objective: 'cost', limits: { p99Ms: 1 }, only: ['params.weights.slow'] });
    expect(o.satisfied).toBe(false);
    const near = closest(o);
    expect(near.length).toBeGreaterThan(0);
    expect(near.every((e) => e.verdict.violation > 0)).toBe(true);
  });

  it('flags are validated', () => {
    expect(() => parseTuneArgs(['x', '--objective', 'speed'])).toThrow(/valid objectives: cost, p99, errors, score/);
    expect(() => parseTuneArgs(['x', '--budget', '0'])).toThrow(/--budget/);
    expect(() => parseTuneArgs(['x', '--duration', '1e7'])).toThrow(/--duration: expected seconds > 0, at most 604800/);
    expect(() => parseTuneArgs([])).toThrow(/missing the scenario/);
    expect(() => parseTuneArgs(['x', '--bogus'])).toThrow(/bogus/);
    const a = parseTuneArgs(['x', '--strategy', 'adaptive', '--param', 'params.floor=0.1', '--param', 'hedging.enabled=true', '--only', 'params.intervalMs, stats.ewmaTauMs']);
    expect(a.params).toEqual(['params.floor=0.1', 'hedging.enabled=true']);
    expect(a.only).toEqual(['params.intervalMs', 'stats.ewmaTauMs']);
  });
});

describe('search pieces', () => {
  it('successive halving: many cheap evaluations, few full ones', () => {
    const r = planRungs(27, 3, 3, 60, 45);
    expect(r.map((x) => x.configs)).toEqual([27, 9, 3]);
    expect(r.map((x) => x.seeds)).toEqual([1, 1, 3]);
    expect(r.at(-1)!.durationS).toBe(60);
    expect(r[0]!.durationS).toBe(45); // never shorter than the fault windows need
    expect(planRuns(r)).toBe(27 + 9 + 9);
    expect(planRungs(1, 3, 2, 10, 5)).toEqual([{ index: 0, configs: 1, seeds: 2, durationS: 10 }]);
  });

  it('log-uniform draws stay in range with a median near the geometric mean', () => {
    const p = searchSpace('weighted', ['a']).find((d) => d.name === 'stats.ewmaTauMs')!;
    const rnd = seededRandom(1);
    const xs = Array.from({ length: 2000 }, () => Number(sampleParam(p, rnd))).sort((a, b) => a - b);
    expect(xs[0]!).toBeGreaterThanOrEqual(p.min);
    expect(xs.at(-1)!).toBeLessThanOrEqual(p.max);
    // median of log-uniform(500, 60000) = sqrt(500 * 60000) = 5477; tolerance 15%
    expect(Math.abs(xs[1000]! / Math.sqrt(p.min * p.max) - 1)).toBeLessThan(0.15);
  });

  it('feasible configs rank first; infeasible ones by violation', () => {
    const limits = { p99Ms: 1000, errorRate: 0.01 };
    const ok = judge('cost', limits, { costPer1kOk: 0.5, p99Ms: 900, errorRate: 0, attemptsPerRequest: 1 });
    const cheapButSlow = judge('cost', limits, { costPer1kOk: 0.1, p99Ms: 1500, errorRate: 0, attemptsPerRequest: 1 });
    const slower = judge('cost', limits, { costPer1kOk: 0.1, p99Ms: 3000, errorRate: 0, attemptsPerRequest: 1 });
    expect(ok.feasible).toBe(true);
    expect(cheapButSlow.violation).toBeCloseTo(0.5, 9);
    expect([slower, cheapButSlow, ok].sort(compareVerdicts)).toEqual([ok, cheapButSlow, slower]);
  });

  it('--max-attempts-per-request and --min-ok-pct constrain every objective', () => {
    const limits = { attemptsPerRequest: 1.2, minOkPct: 99.7 };
    const hedged = judge('cost', limits, { costPer1kOk: 0.1, p99Ms: 900, errorRate: 0.001, attemptsPerRequest: 1.8 });
    expect(hedged.violation).toBeCloseTo(0.5, 9); // 1.8 / 1.2 - 1
    const lossy = judge('p99', limits, { costPer1kOk: 0.1, p99Ms: 900, errorRate: 0.005, attemptsPerRequest: 1.05 });
    expect(lossy.violation).toBeCloseTo(99.7 / 99.5 - 1, 9);
    expect(judge('score', limits, { costPer1kOk: 0.1, p99Ms: 900, errorRate: 0.002, attemptsPerRequest: 1.1 }).feasible).toBe(true);
    expect(describeObjective('cost', limits)).toBe('minimise spend on every upstream attempt per 1k ok requests subject to attempts/request <= 1.2, ok >= 99.7%');
  });
});

describe('CLI', () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scenarios/cli/tune-cli.ts', ...args], { encoding: 'utf8', timeout: 60_000 });

  it('exit 2 with the tunable list for an unknown parameter; exit 3 with closest configs when unsatisfiable', () => {
    const bad = cli([file, '--param', 'foo=1', '--quiet']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown parameter "foo"[\s\S]*params\.weights\.slow/);
    const none = cli([file, '--budget', '3', '--seeds', '1', '--holdout', '0', '--duration', '5', '--max-p99', '1', '--workers', '0', '--quiet', '--out', join(dir, 'cli')]);
    expect(none.status).toBe(3);
    expect(none.stderr).toMatch(/no evaluated config satisfies[\s\S]*closest configs[\s\S]*#\d/);
  }, 60_000);
});
