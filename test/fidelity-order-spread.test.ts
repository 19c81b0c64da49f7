import { describe, expect, it } from 'vitest';
import type { ResultsFile, StrategyResult, StrategySummary } from '../reports/contract.js';
import { formatFidelity } from '../scenarios/fidelity/fidelity-format.js';
import { compareRuns, metricValue, ORDER_KEYS, orderJitterMs, withOrderSpread } from '../scenarios/fidelity/fidelity.js';
import { jitterArrivals } from '../simulator/arrival-jitter.js';
import { createWorkload } from '../simulator/workload.js';
import { fidelityResults, fidelitySummary, oneStrategy } from './helpers/fidelity-fixtures.js';

/**
 * The order spread (fidelity.ts ORDER_SPREAD): the simulator rerun with every arrival shifted
 * by a seeded ±1 ms, and a share/cost/failover/error row whose http value lies in the range
 * of those reruns counted within. What the jitter does to a workload, and how rows are judged.
 */

/** No errors, providers a and b at 50% each, cost 1 per 1k ok, no failover. */
const summary = (over: Partial<StrategySummary> = {}): StrategySummary =>
  fidelitySummary({ ok: 1000, errors: 0, errorRate: 0, errorsByKind: {}, costPer1kOk: 1, providerShare: { a: 0.5, b: 0.5 }, failoverS: null, ...over });
const makeResults = (mode: 'sim' | 'http', s: StrategySummary[]): ResultsFile => fidelityResults(mode, s.map((x) => oneStrategy(x)));
const lat = (p50: number, p99: number): StrategySummary['latencyMs'] => ({ p50, p90: p99, p99, p999: p99, max: p99 });

const spec = { arrivals: 'poisson' as const, rate: 200, durationS: 5 };

describe('seeded arrival jitter (simulator/arrival-jitter.ts)', () => {
  it('shifts every arrival by at most ±ms, keeps every request once, hands them out in time order', () => {
    const planned = [...createWorkload(spec, 1)];
    const jittered = [...jitterArrivals(createWorkload(spec, 1), { ms: 1, seed: 7 })];
    expect(jittered.map((r) => r.id).sort((a, b) => a - b)).toEqual(planned.map((r) => r.id));
    const at = new Map(planned.map((r) => [r.id, r.arrivalMs] as const));
    for (const r of jittered) expect(Math.abs(r.arrivalMs - at.get(r.id)!)).toBeLessThanOrEqual(1);
    for (let i = 1; i < jittered.length; i++) expect(jittered[i]!.arrivalMs).toBeGreaterThanOrEqual(jittered[i - 1]!.arrivalMs);
    // At 200 rps some requests are planned within 2 ms of each other, and some of those swap.
    const order = jittered.map((r) => r.id);
    expect(order.some((id, i) => i > 0 && id < order[i - 1]!)).toBe(true);
  });

  it('is seeded: the same seed gives the same arrivals, another seed others', () => {
    const run = (seed: number) => [...jitterArrivals(createWorkload(spec, 1), { ms: 1, seed })].map((r) => `${r.id}@${r.arrivalMs}`);
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
  });

  it('rejects a jitter that is not a positive number of ms', () => {
    expect(() => jitterArrivals(createWorkload(spec, 1), { ms: 0, seed: 1 })).toThrow(/positive/);
    expect(() => jitterArrivals(createWorkload(spec, 1), { ms: Number.NaN, seed: 1 })).toThrow(/positive/);
  });
});

describe('withOrderSpread', () => {
  const sim = summary({ providerShare: { a: 0.5, b: 0.5 }, costPer1kOk: 1 });
  const http = summary({ providerShare: { a: 0.56, b: 0.44 }, costPer1kOk: 1.05 });
  const base = compareRuns(makeResults('sim', [sim]), makeResults('http', [http]));

  it('counts a share or cost row within when the http value lies in the jittered runs range, and says so', () => {
    const runs = [summary({ providerShare: { a: 0.58, b: 0.42 }, costPer1kOk: 1.06 }), summary({ providerShare: { a: 0.47, b: 0.53 }, costPer1kOk: 0.99 })];
    expect(base.outside).toBe(3);
    const r = withOrderSpread(base, new Map([['round-robin', runs]]), 1);
    expect(r.outside).toBe(0);
    expect(r.withinBySpread).toBe(3);
    const share = r.rows.find((x) => x.metric === 'share:a')!;
    expect(share).toMatchObject({ within: true, withinBySpread: true, orderSpread: [0.47, 0.58] });
    expect(formatFidelity(r)).toMatch(/within \(order spread 47\.00%\.\.58\.00%\)/);
    expect(formatFidelity(r)).toMatch(/3 check\(s\) within only by the order spread.*over 2 reruns with arrivals shifted by up to ±1 ms/);
  });

  it('leaves a row outside when the http value is beyond every jittered run', () => {
    const runs = [summary({ providerShare: { a: 0.52, b: 0.48 }, costPer1kOk: 1.01 })];
    const r = withOrderSpread(base, new Map([['round-robin', runs]]), 1);
    expect(r.outside).toBe(3);
    expect(r.rows.find((x) => x.metric === 'share:a')).toMatchObject({ within: false, orderSpread: [0.5, 0.52] });
  });

  it('never judges latency or the request count by the spread', () => {
    const slow = compareRuns(makeResults('sim', [sim]), makeResults('http', [summary({ latencyMs: lat(2000, 9000), requests: 900 })]));
    const runs = [summary({ latencyMs: lat(2000, 9000), requests: 900 })];
    const r = withOrderSpread(slow, new Map([['round-robin', runs]]), 1);
    for (const m of ['requests', 'p50', 'p99']) expect(r.rows.find((x) => x.metric === m)).toMatchObject({ within: false });
    expect(r.rows.filter((x) => !ORDER_KEYS.has(x.key)).every((x) => x.orderSpread === undefined)).toBe(true);
  });

  it("jitters arrivals by the driver's measured timer lateness in scenario ms, at least 1 ms", () => {
    expect(orderJitterMs({ loopDelayP99Ms: 12.34, speed: 2 })).toBe(24.7);
    expect(orderJitterMs({ loopDelayP99Ms: 0.2, speed: 1 })).toBe(1);
  });

  it('reads every metric of a row off a summary', () => {
    const s: StrategyResult['summary'] = summary({ errorsByKind: { upstream_rate_limited: 2, rate_limited: 1 }, failoverS: 3 });
    expect(metricValue(s, 'errors:rate_limit_exceeded')).toBe(3);
    expect(metricValue(s, 'failoverS')).toBe(3);
    expect(metricValue(s, 'share:zzz')).toBe(0);
  });
});
