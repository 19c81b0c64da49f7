/** Statistical tests: P2C least-connections, latency (peak-EWMA), Envoy least request. */
import { describe, expect, it } from 'vitest';
import '../router/strategies/index.js';
import { createStrategy } from '../router/core/strategy.js';
import { cand, countPicks, makeCtx, shares } from './helpers/candidates.js';

// P2C over 3 with loads a < b < c: a wins every pair it is in (2 of 3 pairs), b wins {b,c}
// and c never wins: expected shares 2/3, 1/3, 0.
const P2C3 = { a: 2 / 3, b: 1 / 3, c: 0 };

describe('least-connections (P2C on in-flight)', () => {
  it('prefers the less loaded: shares 2/3, 1/3, 0 within 2% over 10k picks (seed 1)', () => {
    const cs = [cand('a', { stats: { inFlight: 0 } }), cand('b', { stats: { inFlight: 5 } }), cand('c', { stats: { inFlight: 10 } })];
    const sh = shares(countPicks(createStrategy('least-connections'), cs, 10_000, makeCtx(1)));
    expect(Math.abs(sh['a']! - P2C3.a)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(sh['b']! - P2C3.b)).toBeLessThanOrEqual(0.02);
    expect(sh['c']).toBe(0);
  });

  it('splits ties by the draw: equal loads get 50% each within 2%', () => {
    const cs = [cand('a', { stats: { inFlight: 3 } }), cand('b', { stats: { inFlight: 3 } })];
    const sh = shares(countPicks(createStrategy('least-connections'), cs, 10_000, makeCtx(2)));
    expect(Math.abs(sh['a']! - 0.5)).toBeLessThanOrEqual(0.02);
  });
});

describe('latency (P2C with memory on recent latency x (in-flight + 1)^0.5)', () => {
  it('keeps the best host: with memory a (50 ms) takes >= 99.9% of 10k picks over b (200) and c (400); plain P2C gives 2/3, 1/3, 0 within 2% (seed 3)', () => {
    const cs = [cand('a', { stats: { latencyMs: 50 } }), cand('b', { stats: { latencyMs: 200 } }), cand('c', { stats: { latencyMs: 400 } })];
    const withMemory = shares(countPicks(createStrategy('latency'), cs, 10_000, makeCtx(3)));
    expect(withMemory['a']).toBeGreaterThanOrEqual(0.999);
    const plain = shares(countPicks(createStrategy({ name: 'latency', params: { memory: false } }), cs, 10_000, makeCtx(3)));
    expect(Math.abs(plain['a']! - P2C3.a)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(plain['b']! - P2C3.b)).toBeLessThanOrEqual(0.02);
    expect(plain['c']).toBe(0);
  });

  it('leaves the remembered host when another is cheaper under load: the picks follow the snapshot', () => {
    const s = createStrategy('latency');
    const ctx = makeCtx(5);
    const before = [cand('a', { stats: { latencyMs: 50 } }), cand('b', { stats: { latencyMs: 200 } })];
    expect(shares(countPicks(s, before, 100, ctx))['a']).toBe(1);
    // a now has 99 in flight: 50 x sqrt(100) = 500 > 200, so b wins every comparison, and then a
    // (still worse) never wins back while the snapshot stays so.
    const after = [cand('a', { stats: { latencyMs: 50, inFlight: 99 } }), cand('b', { stats: { latencyMs: 200 } })];
    expect(shares(countPicks(s, after, 100, ctx))['b']).toBe(1);
  });

  it('weighs load by (in-flight + 1)^0.5: 50 ms with 9 in flight (50 x sqrt(10) = 158) beats 200 ms idle; with loadExponent 1 (500) it loses, and with 24 in flight (250) it loses', () => {
    const busy9 = [cand('a', { stats: { latencyMs: 50, inFlight: 9 } }), cand('b', { stats: { latencyMs: 200, inFlight: 0 } })];
    expect(shares(countPicks(createStrategy('latency'), busy9, 1_000))['a']).toBe(1);
    expect(shares(countPicks(createStrategy({ name: 'latency', params: { loadExponent: 1 } }), busy9, 1_000))['b']).toBe(1);
    const busy24 = [cand('a', { stats: { latencyMs: 50, inFlight: 24 } }), cand('b', { stats: { latencyMs: 200, inFlight: 0 } })];
    expect(shares(countPicks(createStrategy('latency'), busy24, 1_000))['b']).toBe(1);
  });

  it('of two untried endpoints with requests outstanding, probes the cheaper (the penalty is priced): cheap with 5 in flight wins over 30x dearer with 1', () => {
    const cs = [
      cand('dear', { stats: { inFlight: 1 }, endpoint: { price: { input: 30, output: 30 } } }),
      cand('cheap', { stats: { inFlight: 5 } }),
    ];
    expect(shares(countPicks(createStrategy('latency'), cs, 1_000))['cheap']).toBe(1);
    // Equal prices: the one with fewer outstanding is probed, as before.
    const same = [cand('x', { stats: { inFlight: 1 } }), cand('y', { stats: { inFlight: 5 } })];
    expect(shares(countPicks(createStrategy('latency'), same, 1_000))['x']).toBe(1);
  });

  it('explores an untried endpoint, but only one request at a time until its first sample', () => {
    const s = createStrategy('latency');
    const idle = [cand('a', { stats: { latencyMs: 20 } }), cand('new')];
    expect(shares(countPicks(s, idle, 1_000))['new']).toBe(1);
    const probing = [cand('a', { stats: { latencyMs: 20, inFlight: 50 } }), cand('new', { stats: { inFlight: 1 } })];
    expect(shares(countPicks(s, probing, 1_000))['new']).toBe(0);
    // A configured default estimate is used as an ordinary latency instead.
    const pessimistic = createStrategy({ name: 'latency', params: { untriedLatencyMs: 1_000 } });
    expect(shares(countPicks(pessimistic, idle, 1_000))['new']).toBe(0);
  });

  it("reads the recent mean of successes, not the peak-EWMA: a host whose peak reads 400 ms but whose last successes average 100 ms wins over a 200 ms one; 'peak-ewma' picks the other", () => {
    const cs = [
      cand('busy', { stats: { latencyMs: 400, recentLatenciesMs: [50, 150], lastSuccessAt: 0 } }),
      cand('other', { stats: { latencyMs: 200, recentLatenciesMs: [200], lastSuccessAt: 0 } }),
    ];
    expect(shares(countPicks(createStrategy('latency'), cs, 1_000))['busy']).toBe(1);
    expect(shares(countPicks(createStrategy({ name: 'latency', params: { latencySignal: 'peak-ewma' } }), cs, 1_000))['other']).toBe(1);
  });

  it('weighs price^4 by default: a host 2x dearer and 10x faster (10 x 16 = 160) loses to 100 ms (100); with priceExponent 2 (40) it wins', () => {
    const cs = [cand('dear', { stats: { latencyMs: 10 }, endpoint: { price: { input: 2, output: 2 } } }), cand('cheap', { stats: { latencyMs: 100 } })];
    expect(shares(countPicks(createStrategy('latency'), cs, 1_000))['cheap']).toBe(1);
    expect(shares(countPicks(createStrategy({ name: 'latency', params: { priceExponent: 2 } }), cs, 1_000))['dear']).toBe(1);
  });

  it('weighs errors: a 50 ms host failing half its requests (cost 50 / 0.5^4 = 800) loses to a clean 200 ms one; errorExponent 0 ignores it', () => {
    const cs = [cand('fast', { stats: { latencyMs: 50, successRate: 0.5 } }), cand('clean', { stats: { latencyMs: 200, successRate: 1 } })];
    expect(shares(countPicks(createStrategy('latency'), cs, 1_000))['clean']).toBe(1);
    expect(shares(countPicks(createStrategy({ name: 'latency', params: { errorExponent: 0 } }), cs, 1_000))['fast']).toBe(1);
  });
});

describe('baseline-envoy-least-request', () => {
  it('equal weights: 2 choices with replacement gives 5/9, 1/3, 1/9 within 2% (seed 4)', () => {
    const cs = [cand('a', { stats: { inFlight: 0 } }), cand('b', { stats: { inFlight: 2 } }), cand('c', { stats: { inFlight: 4 } })];
    const sh = shares(countPicks(createStrategy('baseline-envoy-least-request'), cs, 10_000, makeCtx(4)));
    expect(Math.abs(sh['a']! - 5 / 9)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(sh['b']! - 1 / 3)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(sh['c']! - 1 / 9)).toBeLessThanOrEqual(0.02);
  });

  it('unequal weights: weight / (active + 1) shares within 2% (seed 5)', () => {
    // a: 3 / (2 + 1) = 1, b: 1 / (0 + 1) = 1 -> 50/50; idle: 3:1 -> 75/25.
    const busy = [cand('a', { endpoint: { weight: 3 }, stats: { inFlight: 2 } }), cand('b')];
    const sh1 = shares(countPicks(createStrategy('baseline-envoy-least-request'), busy, 10_000, makeCtx(5)));
    expect(Math.abs(sh1['a']! - 0.5)).toBeLessThanOrEqual(0.02);
    const idle = [cand('a', { endpoint: { weight: 3 } }), cand('b')];
    const sh2 = shares(countPicks(createStrategy('baseline-envoy-least-request'), idle, 10_000, makeCtx(5)));
    expect(Math.abs(sh2['a']! - 0.75)).toBeLessThanOrEqual(0.02);
  });
});
