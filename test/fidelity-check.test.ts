import { describe, expect, it } from 'vitest';
import type { StrategySummary } from '../reports/contract.js';
import { compile } from 'vega-lite';
import { fidelityChart } from '../reports/specs-fidelity.js';
import { parseScenarioArgs } from '../scenarios/cli/args.js';
import { compareRuns, difference, TOLERANCES, tooFewBeyond, twoProportionZ } from '../scenarios/fidelity/fidelity.js';
import { formatFidelity } from '../scenarios/fidelity/fidelity-format.js';
import { runFidelity } from '../scenarios/fidelity/fidelity-run.js';
import { busiestSecond } from '../scenarios/modes/http-mode.js';
import { ScenarioError } from '../scenarios/setup/load.js';
import type { SimRequest } from '../simulator/types.js';
import { fidelityResults, fidelitySummary, oneStrategy } from './helpers/fidelity-fixtures.js';

/** The fidelity comparison itself (pure), its CLI flag, and how `--mode both` reports a failure. */

const summary = fidelitySummary;
const results = fidelityResults;
const one = oneStrategy;

describe('fidelity comparison', () => {
  it('identical runs agree on every check; each metric family is compared', () => {
    const f = compareRuns(results('sim', [one(summary())]), results('http', [one(summary())]));
    expect(f.outside).toBe(0);
    expect(f.rows.map((r) => r.metric)).toEqual(['requests', 'errorRate', 'errors:http_500', 'p50', 'p99', 'share:a', 'share:b', 'failoverS', 'costPer1kOk']);
  });

  it('each tolerance fails just beyond its limit and holds just inside it', () => {
    const sim = summary();
    const cases: Array<[string, Partial<StrategySummary>, Partial<StrategySummary>]> = [
      ['requests', { requests: 1009 }, { requests: 1011 }], // 0.9% vs 1.1%
      ['p50', { latencyMs: { ...sim.latencyMs, p50: 1100 } }, { latencyMs: { ...sim.latencyMs, p50: 1110 } }], // ln 1.1 = 0.0953 vs 0.104
      ['p99', { latencyMs: { ...sim.latencyMs, p99: 3650 } }, { latencyMs: { ...sim.latencyMs, p99: 3600 } }],
      ['share:a', { providerShare: { a: 0.625, b: 0.375 } }, { providerShare: { a: 0.635, b: 0.365 } }],
      ['failoverS', { failoverS: 3 }, { failoverS: 3.5 }],
      ['costPer1kOk', { costPer1kOk: 0.1029 }, { costPer1kOk: 0.1031 }],
    ];
    for (const [metric, inside, outside] of cases) {
      const rowOf = (h: Partial<StrategySummary>) =>
        compareRuns(results('sim', [one(sim)]), results('http', [one(summary(h))])).rows.find((r) => r.metric === metric)!;
      expect(rowOf(inside).within, `${metric} inside`).toBe(true);
      expect(rowOf(outside).within, `${metric} outside`).toBe(false);
    }
  });

  it('error counts: a two-proportion z test (95%), and a failover seen in one world only is outside', () => {
    // 10 vs 16 of 1000: z ≈ 1.19; 10 vs 25: z ≈ 2.42.
    expect(Math.abs(twoProportionZ(10, 1000, 16, 1000))).toBeLessThan(TOLERANCES.errorKind.limit);
    expect(Math.abs(twoProportionZ(10, 1000, 25, 1000))).toBeGreaterThan(TOLERANCES.errorKind.limit);
    expect(twoProportionZ(0, 1000, 0, 1000)).toBe(0);
    const f = compareRuns(
      results('sim', [one(summary())]),
      results('http', [one(summary({ errors: 25, errorRate: 0.025, errorsByKind: { http_500: 10, stream_cut: 15 }, failoverS: null }))]),
    );
    const by = new Map(f.rows.map((r) => [r.metric, r] as const));
    expect(by.get('errorRate')!.within).toBe(false);
    expect(by.get('errors:http_500')!.within).toBe(true);
    expect(by.get('errors:stream_cut')).toMatchObject({ sim: 0, http: 15, within: false });
    expect(by.get('failoverS')).toMatchObject({ diff: null, within: false });
    expect(difference('log-ratio', 0, 0)).toBe(0);
    expect(difference('relative', 0, 5)).toBeNull();
  });

  it('a latency gap is inconclusive only when the timer lateness could explain that gap; other rows are judged as usual', () => {
    const slow = summary({ requests: 1100, latencyMs: { p50: 1300, p90: 2000, p99: 5000, p999: 6000, max: 8000 } });
    // 200 ms late (p99) x speed 2 = 400 scenario ms: explains the 300 ms p50 gap, not the 1000 ms p99 gap.
    const busy = compareRuns(results('sim', [one(summary())]), results('http', [one(slow)]), { loopDelayP99Ms: 200, speed: 2 });
    const by = new Map(busy.rows.map((r) => [r.metric, r] as const));
    expect(by.get('p50')).toMatchObject({ within: false, inconclusive: true });
    expect(by.get('p99')).toMatchObject({ within: false });
    expect(by.get('p99')!.inconclusive).toBeUndefined();
    expect(by.get('requests')!.inconclusive).toBeUndefined();
    expect([busy.outside, busy.inconclusive, busy.busy]).toEqual([2, 1, true]);
    expect(formatFidelity(busy)).toMatch(/1 latency check\(s\) inconclusive/);
    // 30 ms x 2 = 60 scenario ms cannot explain a 300 ms gap (a rule against 5% of p50 would have excused it).
    const calm = compareRuns(results('sim', [one(summary())]), results('http', [one(slow)]), { loopDelayP99Ms: 30, speed: 2 });
    expect([calm.outside, calm.inconclusive, calm.busy]).toEqual([3, 0, false]);
  });

  it('a quantile with fewer than 10 requests beyond it is reported as too few, not judged; with 10 it is judged', () => {
    const lat = (requests: number, p99: number) => summary({ requests, latencyMs: { p50: 1000, p90: 2000, p99, p999: 9000, max: 9000 } });
    // 252 requests: 2.5 beyond the p99 (replicas-outage's CI run: 8028 vs 7225 ms).
    const small = compareRuns(results('sim', [one(lat(252, 8028))]), results('http', [one(lat(252, 7225))]));
    const p99 = small.rows.find((r) => r.metric === 'p99')!;
    expect(p99).toMatchObject({ within: false, inconclusive: true, few: true });
    expect([small.outside, small.few, small.busy]).toEqual([0, 1, false]);
    expect(formatFidelity(small)).toMatch(/p99\s+8028\s+7225\s+ln -0\.105\s+\|ln\| ≤ 0\.1\s+too few/);
    expect(formatFidelity(small)).toMatch(/1 latency check\(s\) not judged: fewer than 10 requests beyond the quantile/);
    // The same gap on 1,000 requests (10 beyond the p99) is judged and outside.
    const big = compareRuns(results('sim', [one(lat(1000, 8028))]), results('http', [one(lat(1000, 7225))]));
    expect(big.rows.find((r) => r.metric === 'p99')).toMatchObject({ within: false });
    expect(big.rows.find((r) => r.metric === 'p99')!.few).toBeUndefined();
    expect([big.outside, big.few]).toEqual([1, 0]);
    // A p50 rests on half the requests: judged even on a small run.
    expect(tooFewBeyond(20, 0.5)).toBe(false);
    expect(tooFewBeyond(999, 0.99)).toBe(true);
  });

  it('p99 rank agreement counts strategy pairs ordered alike', () => {
    const lat = (p99: number) => summary({ latencyMs: { p50: 1000, p90: 2000, p99, p999: 6000, max: 8000 } });
    const sim = results('sim', [one(lat(4000), 'a'), one(lat(4100), 'b'), one(lat(4200), 'c')]);
    const http = results('http', [one(lat(4000), 'a'), one(lat(4300), 'b'), one(lat(4200), 'c')]);
    expect(compareRuns(sim, http).p99RankAgreement).toBeCloseTo(2 / 3, 10);
  });

  it('the table names every row and says OUTSIDE where it is; the chart has one bar per row', () => {
    const f = compareRuns(results('sim', [one(summary())]), results('http', [one(summary({ requests: 1100 }))]));
    const text = formatFidelity(f);
    expect(text).toMatch(/round-robin\s+requests\s+1000\s+1100\s+\+10\.00%\s+±1%\s+OUTSIDE/);
    expect(text).toContain('DISAGREE: 1 of 9 checks judged are outside tolerance');
    const chart = fidelityChart(f);
    expect((chart.spec as { data: { values: unknown[] } }).data.values).toHaveLength(f.rows.length);
    const warnings: string[] = [];
    const logger = { level: () => logger, info: () => logger, debug: () => logger, warn: (...a: unknown[]) => (warnings.push(a.join(' ')), logger), error: (...a: unknown[]) => (warnings.push(a.join(' ')), logger) };
    compile(chart.spec, { logger: logger as never });
    expect(warnings).toEqual([]);
  });
});

describe('http mode sizes its open loop for the busiest second', () => {
  it('counts the most arrivals in any 1-s window (a burst, not the mean)', () => {
    const at = (ms: number, id: number): SimRequest => ({ id, arrivalMs: ms, promptClass: 'general', prompt: '', inputTokens: 1, outputTokens: 1, stream: false, sessionKey: '' });
    const times = [0, 100, 5000, 5100, 5200, 5999, 6000, 9000];
    expect(busiestSecond(times.map(at))).toBe(4); // 5000..5999; 6000 is a second after 5000
    expect(busiestSecond([])).toBe(0);
  });
});

describe('--mode both', () => {
  it('is a mode of the scenario CLI; it always drives http open loop, so --driver is refused', () => {
    expect(parseScenarioArgs(['outage-failover', '--mode', 'both']).mode).toBe('both');
    expect(() => parseScenarioArgs(['outage-failover', '--mode', 'both', '--driver', 'autocannon'])).toThrow(/--driver: --mode both/);
    expect(() => parseScenarioArgs(['outage-failover', '--mode', 'twice'])).toThrow(/--mode: expected http, sim or both/);
  });

  it('a strategy that fails in one mode: the error names the mode and the strategy, keeping its exit code', async () => {
    const run = (async (o: { mode: string; strategies?: string[] | 'all' }) => {
      if (o.mode === 'http' && Array.isArray(o.strategies) && o.strategies[0] === 'latency') throw new ScenarioError('proxy exited (code 3)', 1);
      return { results: results(o.mode as 'sim', [one(summary(), String((o.strategies as string[])[0]))]), outDir: '', files: [] };
    }) as unknown as NonNullable<Parameters<typeof runFidelity>[0]['run']>;
    const err = await runFidelity({ scenario: 'outage-failover', strategies: ['round-robin', 'latency'], noReport: true, run }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).message).toBe('--mode both: http mode failed for strategy latency: proxy exited (code 3)');
    expect((err as ScenarioError).exitCode).toBe(1);
  });
});
