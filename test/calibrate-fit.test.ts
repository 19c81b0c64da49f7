/** The calibrator's fits on synthetic data with known parameters (fixed seeds, stated tolerances). */
import { describe, expect, it } from 'vitest';
import { seededRandom, type Random } from '../router/core/random.js';
import { BurstChain } from '../simulator/faults.js';
import { fitBursty } from '../simulator/calibrate/fit-bursty.js';
import { concurrency, fitLoad } from '../simulator/calibrate/fit-load.js';
import { fitProfile } from '../simulator/calibrate/fit-profile.js';
import type { Observation } from '../simulator/calibrate/observations.js';
import { readLlmperf } from '../simulator/calibrate/read-llmperf.js';
import { parseColumnMap, readTable } from '../simulator/calibrate/read-table.js';
import { diffInterval, fitLognormal, fitShiftedLognormal, ksCritical, ksOneSample, ksTwoSample, lognormalCdf, wilson } from '../simulator/calibrate/stats.js';
import { createProviderModel } from '../simulator/model.js';
import { parseProfile } from '../simulator/profile.js';
import { baseProfile } from './sim-profile-fixtures.js';

function normal(r: Random): number {
  return Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
}

const obs = (o: Partial<Observation>): Observation => ({
  line: 1,
  startMs: null,
  ok: true,
  kind: null,
  ttftMs: null,
  e2eMs: null,
  inputTokens: null,
  outputTokens: null,
  retryAfterMs: null,
  ...o,
});

describe('statistics', () => {
  it('lognormal MLE recovers median (3%) and sigma (5%) from 2,000 seeded draws; KS to the truth is below 1.36/sqrt(n)', () => {
    const r = seededRandom(11);
    const xs = Array.from({ length: 2000 }, () => 300 * Math.exp(0.5 * normal(r)));
    const f = fitLognormal(xs);
    expect(Math.abs(f.median / 300 - 1)).toBeLessThan(0.03);
    expect(Math.abs(f.sigma / 0.5 - 1)).toBeLessThan(0.05);
    expect(ksOneSample(xs, (x) => lognormalCdf(x, Math.log(300), 0.5))).toBeLessThan(ksCritical(2000));
    // The wrong model is rejected.
    expect(ksOneSample(xs, (x) => lognormalCdf(x, Math.log(400), 0.5))).toBeGreaterThan(ksCritical(2000));
  });

  it('shifted lognormal: recovers a floor (10%) when there is one, keeps none on a plain lognormal', () => {
    const r = seededRandom(12);
    const floored = Array.from({ length: 1000 }, () => 180 + 40 * Math.exp(0.7 * normal(r)));
    const f = fitShiftedLognormal(floored);
    expect(Math.abs(f.shift / 180 - 1)).toBeLessThan(0.1);
    expect(f.lr).toBeGreaterThan(3.84);
    expect(ksOneSample(floored, (x) => lognormalCdf(x - f.shift, f.mu, f.sigma))).toBeLessThan(ksCritical(1000));
    const plain = Array.from({ length: 1000 }, () => 300 * Math.exp(0.5 * normal(r)));
    expect(fitShiftedLognormal(plain).shift).toBe(0);
    // The model honours the floor: every TTFT is at least shiftMs.
    const m = createProviderModel(parseProfile(baseProfile({ ttft: { medianMs: 40, sigma: 0.7, shiftMs: 180 }, failures: { baseErrorRate: 0, kinds: {} } }), 't'), 1);
    const ttfts = Array.from({ length: 200 }, (_, id) => m.outcome({ id, arrivalMs: 0, promptClass: 'general', prompt: '', inputTokens: 1, outputTokens: 1, stream: true, sessionKey: '' }, 0, 0).ttftMs);
    expect(Math.min(...ttfts)).toBeGreaterThanOrEqual(180);
  });

  it('KS distances and critical values', () => {
    expect(ksTwoSample([1, 2, 3, 4], [1, 2, 3, 4])).toBe(0);
    expect(ksTwoSample([1, 2], [3, 4])).toBe(1);
    expect(ksTwoSample([1, 2, 3, 4], [3, 4, 5, 6])).toBe(0.5);
    expect(ksCritical(75)).toBeCloseTo(0.157, 3);
    expect(ksCritical(75, 3000)).toBeCloseTo(1.36 * Math.sqrt(1 / 75 + 1 / 3000), 10);
  });

  it('binomial intervals: Wilson and the difference of two rates', () => {
    expect(wilson(0, 75).lo).toBe(0);
    expect(wilson(0, 75).hi).toBeCloseTo(0.0487, 3);
    const w = wilson(5, 100);
    expect(w.lo).toBeLessThan(0.05);
    expect(w.hi).toBeGreaterThan(0.05);
    const d = diffInterval(10, 100, 100, 1000);
    expect(d.diff).toBeCloseTo(0, 12);
    expect(d.lo).toBeLessThan(0);
    expect(d.hi).toBeGreaterThan(0);
    expect(diffInterval(30, 100, 50, 1000).lo).toBeGreaterThan(0);
  });
});

describe('Gilbert–Elliott fit', () => {
  it('recovers a known bursty chain from timestamped failures (mean bad within 35%, bad-state rate within 20%)', () => {
    const truth = { meanGoodS: 60, meanBadS: 6, badErrorRate: 0.6, base: 0.01 };
    const chain = new BurstChain({ meanGoodS: truth.meanGoodS, meanBadS: truth.meanBadS, stepMs: 1000 }, 5, 'p');
    const r = seededRandom(5);
    const list: Observation[] = [];
    for (let t = 0; t < 3_600_000; t += 100) {
      const p = chain.isBad(t) ? truth.badErrorRate : truth.base;
      const fail = r.next() < p;
      list.push(obs({ startMs: t, ok: !fail, kind: fail ? 'http_500' : null }));
    }
    const f = fitBursty(list)!;
    expect(f).not.toBeNull();
    expect(Math.abs(f.meanBadS / truth.meanBadS - 1)).toBeLessThan(0.35);
    expect(Math.abs(f.badErrorRate / truth.badErrorRate - 1)).toBeLessThan(0.2);
    expect(f.baseErrorRate).toBeLessThan(0.03);
    expect(Math.abs(f.meanGoodS / truth.meanGoodS - 1)).toBeLessThan(0.35);
  });

  it('finds no bursts in independent failures, and none without timestamps', () => {
    const r = seededRandom(6);
    const list = Array.from({ length: 20_000 }, (_, i) => {
      const fail = r.next() < 0.05;
      return obs({ startMs: i * 100, ok: !fail, kind: fail ? 'http_500' : null });
    });
    expect(fitBursty(list)).toBeNull();
    expect(fitBursty(list.map((o) => ({ ...o, startMs: null })))).toBeNull();
  });
});

describe('load dependence', () => {
  it('concurrency counts the others in flight at each start', () => {
    const list = [obs({ startMs: 0, e2eMs: 100 }), obs({ startMs: 10, e2eMs: 100 }), obs({ startMs: 50, e2eMs: 10 }), obs({ startMs: 100, e2eMs: 5 }), obs({ startMs: null })];
    expect(concurrency(list)).toEqual([0, 1, 2, 1, null]);
  });

  it('fits slowdown (25%) when TTFT grows with load, and reports none when it does not', () => {
    const r = seededRandom(8);
    const loads = Array.from({ length: 3000 }, () => Math.floor(r.next() * 51));
    const slowed = loads.map((l) => 200 * Math.exp(0.3 * normal(r)) * (1 + 1.5 * (l / 50) ** 2));
    const f = fitLoad(slowed, loads)!;
    expect(f.significant).toBe(true);
    expect(Math.abs(f.slowdown / 1.5 - 1)).toBeLessThan(0.25);
    expect(Math.abs(f.medianMs! / 200 - 1)).toBeLessThan(0.05);
    const flat = loads.map(() => 200 * Math.exp(0.3 * normal(r)));
    expect(fitLoad(flat, loads)!.significant).toBe(false);
  });
});

describe('profile fit and formats', () => {
  it('LLMPerf records: 429 and LLMPerf -100 map to kinds; a non-record is skipped with its line', () => {
    const rows = [
      { error_code: null, error_msg: '', ttft_s: 0.2, end_to_end_latency_s: 1.2, number_input_tokens: 550, number_output_tokens: 100 },
      { error_code: 429, error_msg: '', number_input_tokens: 550 },
      { error_code: -100, error_msg: 'Output too few tokens 39' },
      'junk',
    ];
    const r = readLlmperf(JSON.stringify(rows), 'dir/lepton_7b.json');
    const g = r.groups.get('lepton_7b')!;
    expect(g.map((o) => o.kind)).toEqual([null, 'rate_limited_429', 'malformed']);
    expect(g[0]).toMatchObject({ ttftMs: 200, e2eMs: 1200, outputTokens: 100 });
    expect(r.skipped).toEqual({ count: 1, first: [{ line: 4, why: 'not a JSON object' }] });
  });

  it('a CSV with a column map', () => {
    const csv = 'when,first_token_s,total_s,out,code\n2026-01-01T00:00:00Z,0.5,1.5,10,200\n2026-01-01T00:00:01Z,,,,503\nbad-time,0.4,1,10,200\n2026-01-01T00:00:02Z,,,,400\n';
    const r = readTable(csv, 'm.csv', parseColumnMap('time=when,ttft_s=first_token_s,e2e_s=total_s,output_tokens=out,status=code'), 'm');
    const g = r.groups.get('m')!;
    expect(g).toHaveLength(2);
    expect(g[0]).toMatchObject({ ok: true, ttftMs: 500, e2eMs: 1500, outputTokens: 10, startMs: Date.parse('2026-01-01T00:00:00Z') });
    expect(g[1]).toMatchObject({ ok: false, kind: 'http_503' });
    expect(r.skipped.first[0]).toEqual({ line: 4, why: 'when: not an ISO date or epoch ms' });
    expect(r.ignored).toBe(1); // the 400 is the request's fault, not the provider's
    expect(() => parseColumnMap('nope=x')).toThrow(/unknown field "nope"/);
  });

  it('fits a profile that validates, with decode speed from (e2e − ttft)/tokens and Retry-After from 429s', () => {
    const r = seededRandom(9);
    const list: Observation[] = [];
    for (let i = 0; i < 500; i++) {
      const ttft = 250 * Math.exp(0.3 * normal(r));
      const perToken = 20 * Math.exp(0.1 * normal(r));
      list.push(obs({ ttftMs: ttft, e2eMs: ttft + 100 * perToken, outputTokens: 100 }));
    }
    for (let i = 0; i < 25; i++) list.push(obs({ ok: false, kind: 'rate_limited_429', retryAfterMs: 2000 }));
    const f = fitProfile('prov/model x', list, 'test');
    expect(f.profile.id).toBe('prov/model-x');
    expect(Math.abs(f.profile.ttft.medianMs / 250 - 1)).toBeLessThan(0.05);
    expect(Math.abs(f.profile.throughput.tokensPerSecond / 50 - 1)).toBeLessThan(0.03);
    expect(f.profile.failures.kinds).toEqual({ rate_limited_429: 25 });
    expect(f.profile.failures.retryAfterMs).toBe(2000);
    expect(f.errors.rate).toBeCloseTo(25 / 525, 10);
    expect(() => fitProfile('none', [obs({ ok: false, kind: 'http_500' })], 'test')).toThrow(/no successful request/);
    expect(() => fitProfile('few', [obs({ ttftMs: 1 })], 'test')).toThrow(/1 successful requests with a TTFT, need at least 5/);
  });
});
