import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeReport } from '../reports/render.js';
import { parseScenarioArgs } from '../scenarios/cli/args.js';
import { SCENARIO_DIR, ScenarioError } from '../scenarios/setup/load.js';
import { renderChartsOn } from '../scenarios/modes/report-jobs.js';
import { planWorkers, runScenario } from '../scenarios/modes/runner.js';
import { openSimPool } from '../scenarios/modes/sim-pool.js';
import { liveWorkers, WorkerFailedError } from '../scenarios/workers/worker-pool.js';

/**
 * sim-mode strategies on worker threads (scenarios/workers/worker-pool.ts, modes/sim-pool.ts, sim-worker.ts) and the
 * report rendered on them: the same bytes as the in-thread path, failures surface as a
 * rejected run naming the strategy, and no worker outlives its run.
 */
const out = mkdtempSync(join(tmpdir(), 'scenario-workers-'));
const files = (dir: string): string[] => readdirSync(dir).sort();

afterAll(() => {
  expect(liveWorkers()).toBe(0);
});

describe('sim mode on worker threads', () => {
  it('workers=2 writes the same results.json, byte for byte, as workers=1', async () => {
    // classifier: its model.json is found from import.meta.url, which the worker bundle must keep.
    const opts = { scenario: 'outage-failover', mode: 'sim' as const, durationS: 12, strategies: ['round-robin', 'weighted', 'classifier'], noReport: true };
    const serial = await runScenario({ ...opts, workers: 1, out: join(out, 'w1') });
    const parallel = await runScenario({ ...opts, workers: 2, out: join(out, 'w2') });
    expect(parallel.results.strategies.map((s) => s.strategy)).toEqual(['round-robin', 'weighted', 'classifier']);
    expect(readFileSync(join(out, 'w2', 'results.json'), 'utf8')).toBe(readFileSync(join(out, 'w1', 'results.json'), 'utf8'));
    expect(liveWorkers()).toBe(0);
  });

  it('a strategy that fails in a worker fails the run with its message; every worker is stopped', async () => {
    // weighted's params are a strict object: the router rejects "bogus" when the run starts (in the worker).
    const yaml = readFileSync(join(SCENARIO_DIR, 'outage-failover.yaml'), 'utf8').replace(/^ {2}- weighted$/m, '  - { name: weighted, params: { bogus: 1 } }');
    expect(yaml).toContain('bogus');
    const file = join(out, 'bad-params.yaml');
    writeFileSync(file, yaml);
    const run = runScenario({ scenario: file, mode: 'sim', durationS: 5, workers: 2, noReport: true, out: join(out, 'bad') });
    await expect(run).rejects.toThrow(WorkerFailedError);
    await expect(run).rejects.toThrow(/strategy weighted: .*bogus/s);
    expect(liveWorkers()).toBe(0);
  });
});

describe('report rendered on worker threads', () => {
  let results: Awaited<ReturnType<typeof runScenario>>['results'] | undefined;
  const inThread = join(out, 'rep-thread');

  for (const bundle of [true, false]) {
    it(`writes the same files, byte for byte, as rendering in this thread (workers ${bundle ? 'bundled' : 'through tsx'})`, async () => {
      if (!results) {
        results = (await runScenario({ scenario: 'outage-failover', mode: 'sim', durationS: 10, strategies: ['round-robin', 'latency'], workers: 1, noReport: true, out: join(out, 'rep') })).results;
        await writeReport(results, inThread);
      }
      const onWorkers = join(out, `rep-workers-${bundle}`);
      const pool = await openSimPool({ bundle });
      try {
        pool.spawn(2, 'report');
        await writeReport(results, onWorkers, { render: (charts, dir) => renderChartsOn(pool, charts, dir) });
      } finally {
        await pool.close();
      }
      expect(files(onWorkers)).toEqual(files(inThread));
      expect(files(inThread).filter((f) => f.endsWith('.png')).length).toBeGreaterThanOrEqual(6);
      for (const f of files(inThread)) expect(readFileSync(join(onWorkers, f)).equals(readFileSync(join(inThread, f))), f).toBe(true);
      expect(liveWorkers()).toBe(0);
    });
  }

  it('a chart that fails in a worker rejects with the worker\'s message; a closed pool rejects new jobs', async () => {
    const pool = await openSimPool();
    try {
      pool.spawn(1, 'report');
      // A chart whose spec vega cannot compile: the job rejects with the worker's message.
      const bad = pool.run({ kind: 'chart', chart: { id: 'bad', title: 'bad', spec: { mark: 'nonsense' } as never }, dir: out }, 'chart bad');
      await expect(bad).rejects.toThrow(/chart bad: /);
    } finally {
      await pool.close();
    }
    await expect(pool.run({ kind: 'chart', chart: { id: 'x', title: 'x', spec: {} as never }, dir: out }, 'late')).rejects.toThrow(/closed/);
    expect(liveWorkers()).toBe(0);
  });
});

describe('worker plan and --workers', () => {
  const scenario = { load: { rate: 40, durationS: 60 } } as never;
  it('small runs stay in this thread; big ones use a thread per strategy up to the cores', () => {
    expect(planWorkers(scenario, 60, 6, { mode: 'sim', noReport: false, requested: undefined, cores: 2 })).toEqual({ sim: 0, report: 0, reportAfterSim: 0 });
    expect(planWorkers(scenario, 4200, 6, { mode: 'sim', noReport: false, requested: undefined, cores: 2 })).toEqual({ sim: 2, report: 0, reportAfterSim: 2 });
    // One strategy: it runs here, report workers load vega on the other core meanwhile.
    expect(planWorkers(scenario, 25_000, 1, { mode: 'sim', noReport: false, requested: undefined, cores: 2 })).toEqual({ sim: 0, report: 2, reportAfterSim: 0 });
    expect(planWorkers(scenario, 4200, 6, { mode: 'sim', noReport: true, requested: 1, cores: 8 })).toEqual({ sim: 0, report: 0, reportAfterSim: 0 });
    expect(planWorkers(scenario, 60, 6, { mode: 'sim', noReport: true, requested: 3, cores: 2 }).sim).toBe(3);
    expect(planWorkers(scenario, 4200, 6, { mode: 'http', noReport: false, requested: 4, cores: 8 }).sim).toBe(0);
  });

  it('--workers N is parsed; a bad value is a usage error', () => {
    expect(parseScenarioArgs(['x', '--mode', 'sim', '--workers', '3']).workers).toBe(3);
    expect(parseScenarioArgs(['x']).workers).toBeUndefined();
    expect(() => parseScenarioArgs(['x', '--workers', '0'])).toThrow(ScenarioError);
    expect(() => parseScenarioArgs(['x', '--workers', 'two'])).toThrow(/--workers/);
  });
});
