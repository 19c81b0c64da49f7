/** Statistical tests: adaptive re-weighting (virtual time through ctx.now, no sleeps). */
import { describe, expect, it } from 'vitest';
import '../router/strategies/index.js';
import { createStrategy, type Strategy } from '../router/core/strategy.js';
import { recentLatency } from '../router/strategies/util.js';
import type { Candidate } from '../router/core/types.js';
import { cand, countPicks, makeCtx, makeStats, shares, withState, type TestContext } from './helpers/candidates.js';

const healthy = { latencyMs: 100, successRate: 1, windowRequests: 50 };
const INTERVAL = 1_000;
const PICKS = 1_000; // one pick per virtual ms: one interval of picks

/** One interval of picks (time advances 1 ms per pick); shares in that interval. */
function interval(s: Strategy, cs: readonly Candidate[], ctx: TestContext): Record<string, number> {
  const counts = new Map<string, number>(cs.map((c) => [c.endpoint.id, 0]));
  for (let i = 0; i < PICKS; i++) {
    const id = cs[s.pick(cs, { model: 'm' }, ctx).index]!.endpoint.id;
    counts.set(id, counts.get(id)! + 1);
    ctx.now += INTERVAL / PICKS;
  }
  return shares(counts);
}

describe('adaptive', () => {
  it('moves share away from an endpoint with 50% errors to < 15% within 5 intervals, each >= floor', () => {
    // The pre-standings exponents: a glide to watch (the default 12 drops it in one interval).
    const s = createStrategy({ name: 'adaptive', params: { intervalMs: INTERVAL, floor: 0.02, exponents: { successRate: 3, latency: 1, cost: 0.5 } } });
    const ctx = makeCtx(1);
    const good = ['a', 'b', 'c'].map((id) => cand(id, { stats: healthy }));
    const first = interval(s, good, ctx);
    expect(Math.abs(first['c']! - 1 / 3)).toBeLessThanOrEqual(0.01);

    const bad = [good[0]!, good[1]!, withState(good[2]!, { stats: { successRate: 0.5 } })];
    const history: number[] = [];
    for (let k = 0; k < 5; k++) {
      const sh = interval(s, bad, ctx);
      history.push(sh['c']!);
      for (const v of Object.values(sh)) expect(v).toBeGreaterThanOrEqual(0.02);
    }
    // Smoothing (0.5) makes it a glide, not a jump: monotone down, then under 15%.
    for (let k = 1; k < history.length; k++) expect(history[k]!).toBeLessThanOrEqual(history[k - 1]! + 1e-9);
    expect(history[0]!).toBeGreaterThan(0.15);
    expect(history[4]!).toBeLessThan(0.15);
  });

  it('keeps a fully failing endpoint at the floor share (2% within 0.5%), not at 0', () => {
    const s = createStrategy({ name: 'adaptive', params: { intervalMs: INTERVAL, floor: 0.02, smoothing: 0 } });
    const ctx = makeCtx(1);
    const cs = [cand('a', { stats: healthy }), cand('b', { stats: healthy }), cand('c', { stats: { ...healthy, successRate: 0 } })];
    interval(s, cs, ctx);
    const sh = interval(s, cs, ctx);
    expect(Math.abs(sh['c']! - 0.02)).toBeLessThanOrEqual(0.005);
  });

  it('gives a just-recovered endpoint the exploration share (10% within 0.5%) despite old failures in its window', () => {
    const s = createStrategy({ name: 'adaptive', params: { intervalMs: INTERVAL, explore: 0.1, smoothing: 0 } });
    const ctx = makeCtx(1);
    const before = [cand('a', { stats: healthy }), cand('b', { stats: healthy }), cand('c', { stats: { ...healthy, successRate: 0.2 } })];
    expect(interval(s, before, ctx)['c']!).toBeLessThan(0.05);
    // c was ejected and came back (ejections 0 -> 1); its window still holds the old failures.
    const after = [before[0]!, before[1]!, withState(before[2]!, { health: { ejections: 1 } })];
    const sh = interval(s, after, ctx);
    expect(Math.abs(sh['c']! - 0.1)).toBeLessThanOrEqual(0.005);
    expect(Math.abs(sh['a']! - 0.45)).toBeLessThanOrEqual(0.005);
  });

  it('explores an endpoint with no samples yet (>= 10% share)', () => {
    const s = createStrategy('adaptive');
    const cs = [cand('a', { stats: healthy }), cand('b', { stats: { ...healthy, latencyMs: 10 } }), cand('new')];
    expect(shares(countPicks(s, cs, 2_000))['new']!).toBeGreaterThanOrEqual(0.099);
  });

  it('prefers the faster and the cheaper (exponents latency 3, cost 4.5 by default; floors scaled by price^2)', () => {
    const s = createStrategy({ name: 'adaptive', params: { explore: 0 } });
    const cs = [
      cand('fast', { stats: { ...healthy, latencyMs: 50 } }),
      cand('slow', { stats: { ...healthy, latencyMs: 200 } }),
      cand('pricey', { stats: healthy, endpoint: { price: { input: 4, output: 4 } } }),
    ];
    const sh = shares(countPicks(s, cs, 7_000));
    // scores 1/50^3, 1/200^3, 1/(100^3 * 4^4.5) x 0.5 (2x slower and 4x dearer than fast: dominated);
    // floors 0.5%, 0.5%, 0.5% x (1/4)^2.
    const score = { fast: 1 / 50 ** 3, slow: 1 / 200 ** 3, pricey: 0.5 / (100 ** 3 * 4 ** 4.5) };
    const floor = { fast: 0.005, slow: 0.005, pricey: 0.005 / 16 };
    const sum = score.fast + score.slow + score.pricey;
    const F = floor.fast + floor.slow + floor.pricey;
    for (const id of ['fast', 'slow', 'pricey'] as const)
      expect(Math.abs(sh[id]! - (floor[id] + (1 - F) * (score[id] / sum)))).toBeLessThanOrEqual(0.005);
  });

  it('floorByPrice: a failing endpoint 10x dearer keeps floor x (1/10)^2 (0.005%), not the whole 0.5% floor', () => {
    const cs = [cand('cheap', { stats: healthy }), cand('dear', { stats: { ...healthy, successRate: 0 }, endpoint: { price: { input: 10, output: 10 } } })];
    const run = (floorByPrice: boolean): number => shares(countPicks(createStrategy({ name: 'adaptive', params: { floorByPrice } }), cs, 20_000))['dear']!;
    expect(run(true)).toBeLessThanOrEqual(0.0001);
    expect(Math.abs(run(false) - 0.005)).toBeLessThanOrEqual(0.0005);
  });

  it('explores an unsampled dear endpoint at explore x (cheapest / its price)^2, scored at the mean latency', () => {
    const s = createStrategy('adaptive');
    const cs = [cand('a', { stats: healthy }), cand('new', { endpoint: { price: { input: 4, output: 4 } } })];
    // explore 10% x (1/4)^2 = 0.625%; its own score (mean latency, price 4^4.5) adds ~0.
    expect(Math.abs(shares(countPicks(s, cs, 8_000))['new']! - 0.1 / 16)).toBeLessThanOrEqual(0.001);
  });

  it('does not re-explore an endpoint whose window merely emptied (no traffic lately is not news)', () => {
    const s = createStrategy({ name: 'adaptive', params: { intervalMs: INTERVAL, smoothing: 0 } });
    const ctx = makeCtx(1);
    const before = [cand('a', { stats: healthy }), cand('b', { stats: healthy }), cand('c', { stats: { ...healthy, successRate: 0.2 } })];
    expect(interval(s, before, ctx)['c']!).toBeLessThan(0.01);
    const emptied = [before[0]!, before[1]!, withState(before[2]!, { stats: { successRate: null, windowRequests: 0 } })];
    expect(interval(s, emptied, ctx)['c']!).toBeLessThan(0.01);
  });

  it('useWeight makes the configured weight a prior: equal stats, weights 3 : 1 give 75% : 25% (within 1%); off by default', () => {
    const s = createStrategy({ name: 'adaptive', params: { explore: 0, useWeight: true } });
    const cs = [cand('heavy', { stats: healthy, endpoint: { weight: 3 } }), cand('light', { stats: healthy })];
    const sh = shares(countPicks(s, cs, 4_000));
    expect(Math.abs(sh['heavy']! - (0.005 + 0.99 * 0.75))).toBeLessThanOrEqual(0.01);
    const blind = createStrategy({ name: 'adaptive', params: { explore: 0 } });
    expect(Math.abs(shares(countPicks(blind, cs, 4_000))['heavy']! - 0.5)).toBeLessThanOrEqual(0.01);
  });

  it('stall signal: an endpoint holding far more requests than its pick rate explains drops to the floor within one interval', () => {
    const run = (stallSignal: boolean): number => {
      const s = createStrategy({ name: 'adaptive', params: { intervalMs: INTERVAL, stallSignal, smoothing: 0 } });
      const ctx = makeCtx(1);
      const good = ['a', 'b', 'c'].map((id) => cand(id, { stats: healthy }));
      interval(s, good, ctx);
      interval(s, good, ctx);
      // c was picked ~333 times a second (0.333 per ms) and now holds 1,000 requests: Little's
      // law says they have waited 3 s, 30x its 100 ms latency; no slow reply has landed yet.
      const stalled = [good[0]!, good[1]!, withState(good[2]!, { stats: { inFlight: 1_000 } })];
      return interval(s, stalled, ctx)['c']!;
    };
    expect(run(true)).toBeLessThan(0.01);
    expect(Math.abs(run(false) - 1 / 3)).toBeLessThanOrEqual(0.01);
  });

  it('stall signal: a few requests in flight (under stallMinInFlight) are not a stall', () => {
    const s = createStrategy({ name: 'adaptive', params: { intervalMs: INTERVAL, smoothing: 0, stallMinInFlight: 4 } });
    const ctx = makeCtx(1);
    const good = ['a', 'b'].map((id) => cand(id, { stats: healthy }));
    interval(s, good, ctx);
    interval(s, good, ctx);
    const sh = interval(s, [good[0]!, withState(good[1]!, { stats: { inFlight: 3 } })], ctx);
    expect(Math.abs(sh['b']! - 0.5)).toBeLessThanOrEqual(0.01);
  });

  it('hang: a host whose 4th unanswered start has waited over 2x its answer lag drops to the floor at once, and returns when it answers', () => {
    // One pick per ms; every host answers with a 300 ms lag.
    const s = createStrategy({ name: 'adaptive', params: { intervalMs: INTERVAL, smoothing: 0, floor: 0.01, stallSignal: false } });
    const ctx = makeCtx(1);
    /** Picks of c per 200-ms slice over `ms` ms; c's unansweredSinceAt given by since(now). */
    const run = (ms: number, since: (now: number) => number | null): number[] => {
      const out: number[] = new Array<number>(Math.ceil(ms / 200)).fill(0);
      const t0 = ctx.now;
      for (let i = 0; i < ms; i++) {
        const cs = ['a', 'b', 'c'].map((id) =>
          cand(id, { stats: { ...healthy, inFlight: 100, answerLagMs: 300, unansweredSinceAt: id === 'c' ? since(ctx.now) : ctx.now - 100 } }),
        );
        if (s.pick(cs, { model: 'm' }, ctx).index === 2) out[Math.floor((ctx.now - t0) / 200)]! += 1;
        ctx.now += 1;
      }
      return out;
    };
    run(2_000, (now) => now - 100);
    // c's 4th unanswered start is at t0 and nothing later answers: limit t0 + 2 x 300 = t0 + 600.
    const t0 = ctx.now;
    const hung = run(1_000, () => t0);
    // A third of the first 600 picks, then the floor (1% of 400).
    expect(hung.slice(0, 3).map((x) => Math.abs(x - 200 / 3) <= 2)).toEqual([true, true, true]);
    expect(hung[3]! + hung[4]!).toBeLessThanOrEqual(6);
    // It answers again (its waiting starts are recent): back to a third within recheckMs (100).
    const back = run(1_000, (now) => now - 100);
    expect(back[0]!).toBeGreaterThanOrEqual(40);
    expect(Math.abs(back[4]! - 200 / 3)).toBeLessThanOrEqual(2);
    // Fewer than 4 waiting (null), however long: no hang.
    const quiet = run(1_000, () => null);
    expect(quiet.map((x) => Math.abs(x - 200 / 3) <= 2)).toEqual([true, true, true, true, true]);
  });

  it('hang: factor 1 turns it off (a silent host keeps its third)', () => {
    const s = createStrategy({ name: 'adaptive', params: { intervalMs: INTERVAL, smoothing: 0, stallSignal: false, hang: { factor: 1 } } });
    const ctx = makeCtx(1);
    const cs = ['a', 'b', 'c'].map((id) => cand(id, { stats: { ...healthy, inFlight: 100, unansweredSinceAt: id === 'c' ? -10_000 : null, answerLagMs: 300 } }));
    interval(s, cs, ctx);
    expect(Math.abs(interval(s, cs, ctx)['c']! - 1 / 3)).toBeLessThanOrEqual(0.01);
  });

  it('select "random" draws over the same weights (within 2%, seed 9)', () => {
    const s = createStrategy({ name: 'adaptive', params: { select: 'random', floor: 0 } });
    const cs = [cand('a', { stats: healthy }), cand('b', { stats: { ...healthy, latencyMs: 300 } })];
    const sh = shares(countPicks(s, cs, 10_000, makeCtx(9)));
    // 1/100^3 : 1/300^3 = 27 : 1
    expect(Math.abs(sh['a']! - 27 / 28)).toBeLessThanOrEqual(0.02);
  });

  it('names the bad field in params', () => {
    expect(() => createStrategy({ name: 'adaptive', params: { exponents: { latency: -1 } } })).toThrow(/params\.exponents\.latency/);
    expect(() => createStrategy({ name: 'adaptive', params: { select: 'best' } })).toThrow(/params\.select/);
  });
});

describe('adaptive: latency signal and dominated endpoints (issue 20, stream-faults)', () => {
  it('observes the mean of the last successes, not a peak-EWMA that a busy host inflates', () => {
    const st = makeStats({ latencyMs: 900, recentLatenciesMs: [100, 200, 300], lastSuccessAt: 5, lastFailureAt: 3 });
    expect(recentLatency(st)).toBe(200);
    // The latest outcome a failure (a timeout): the larger peak-EWMA, so it looks slow at once.
    expect(recentLatency({ ...st, lastFailureAt: 6 })).toBe(900);
    expect(recentLatency({ ...st, lastFailureAt: 6, latencyMs: 150 })).toBe(200);
    // No success listed yet: the peak-EWMA.
    expect(recentLatency(makeStats({ latencyMs: 700, lastFailureAt: 1 }))).toBe(700);
  });

  it('shares by the recent mean: two hosts with the same recent latencies split evenly whatever their peak-EWMA', () => {
    const recent = { ...healthy, recentLatenciesMs: [100, 100], lastSuccessAt: 0 };
    const cs = [cand('busy', { stats: { ...recent, latencyMs: 400 } }), cand('idle', { stats: { ...recent, latencyMs: 100 } })];
    const sh = (latencySignal: 'recent' | 'peak-ewma') => shares(countPicks(createStrategy({ name: 'adaptive', params: { latencySignal } }), cs, 4_000))['busy']!;
    expect(Math.abs(sh('recent') - 0.5)).toBeLessThanOrEqual(0.01);
    // peak-EWMA: 4x the latency is 4^3 = 64x less score: 0.5% floor + 99% / 65.
    expect(Math.abs(sh('peak-ewma') - (0.005 + 0.99 / 65))).toBeLessThanOrEqual(0.005);
  });

  it('halves the score of a host 1.5x slower and 1.5x dearer than another (dominated), not of one only slower', () => {
    const fast = cand('fast', { stats: { ...healthy, latencyMs: 100 } });
    const slowDear = cand('slow-dear', { stats: { ...healthy, latencyMs: 150 }, endpoint: { price: { input: 1.5, output: 1.5 } } });
    const slowOnly = cand('slow-only', { stats: { ...healthy, latencyMs: 150 } });
    const run = (cs: Candidate[], factor: number): number =>
      shares(countPicks(createStrategy({ name: 'adaptive', params: { explore: 0, floor: 0, dominated: { factor }, priceGap: { k: 0 } } }), cs, 10_000))[cs[1]!.endpoint.id]!;
    // score ratio slow-dear / fast = 1 / (1.5^3 x 1.5^4.5) = 0.0478; x 0.5 when dominated.
    const r = 1 / 1.5 ** 7.5;
    expect(Math.abs(run([fast, slowDear], 1) - r / (1 + r))).toBeLessThanOrEqual(0.002);
    expect(Math.abs(run([fast, slowDear], 0.5) - r / 2 / (1 + r / 2))).toBeLessThanOrEqual(0.002);
    // Slower at the same price: not dominated (the margin is on both), the factor changes nothing.
    expect(run([fast, slowOnly], 0.5)).toBeCloseTo(run([fast, slowOnly], 1), 3);
  });

  it('does not count a host as dominated by one with a worse success rate', () => {
    const fastFlaky = cand('fast', { stats: { ...healthy, latencyMs: 100, successRate: 0.9 } });
    const slowDear = cand('slow-dear', { stats: { ...healthy, latencyMs: 150 }, endpoint: { price: { input: 1.5, output: 1.5 } } });
    const run = (factor: number): number =>
      shares(countPicks(createStrategy({ name: 'adaptive', params: { explore: 0, floor: 0, dominated: { factor } } }), [fastFlaky, slowDear], 10_000))['slow-dear']!;
    expect(run(0.5)).toBeCloseTo(run(1), 3);
  });
});

describe('adaptive: price gap (issue 20, rate-limit-storm)', () => {
  // A host 2x dearer and 2.5x faster: by the power law alone it takes most of the traffic.
  const slowCheap = cand('slow-cheap', { stats: { ...healthy, latencyMs: 250 } });
  const fastDear = cand('fast-dear', { stats: { ...healthy, latencyMs: 100 }, endpoint: { price: { input: 2, output: 2 } } });
  const dearShare = (priceGap: { k: number; margin: number }, cs: Candidate[] = [slowCheap, fastDear]): number =>
    shares(countPicks(createStrategy({ name: 'adaptive', params: { explore: 0, floor: 0, priceGap } }), cs, 10_000))[cs[1]!.endpoint.id]!;

  it('multiplies the score of a host dearer than margin x the cheapest by exp(-k ln(price / (margin x cheapest))^2)', () => {
    // Without the gap: score ratio dear / cheap = 2.5^3 / 2^4.5 = 0.69.
    const r = 2.5 ** 3 / 2 ** 4.5;
    expect(Math.abs(dearShare({ k: 0, margin: 1.25 }) - r / (1 + r))).toBeLessThanOrEqual(0.002);
    // With k 32, margin 1.25: x exp(-32 ln(1.6)^2) = x 0.0013.
    const g = r * Math.exp(-32 * Math.log(2 / 1.25) ** 2);
    expect(Math.abs(dearShare({ k: 32, margin: 1.25 }) - g / (1 + g))).toBeLessThanOrEqual(0.002);
    expect(dearShare({ k: 32, margin: 1.25 })).toBeLessThan(0.01);
  });

  it('leaves prices within the margin alone, and measures the gap from the cheapest candidate present', () => {
    const near = cand('near', { stats: { ...healthy, latencyMs: 100 }, endpoint: { price: { input: 1.2, output: 1.2 } } });
    expect(dearShare({ k: 32, margin: 1.25 }, [slowCheap, near])).toBeCloseTo(dearShare({ k: 0, margin: 1.25 }, [slowCheap, near]), 3);
    // Without the cheap host the gap is measured from `near` (1.2): the 2x host is 1.67x that.
    const alone = [near, fastDear];
    const r = 1 / 2 ** 4.5 / (1 / 1.2 ** 4.5);
    const g = r * Math.exp(-32 * Math.log(2 / 1.2 / 1.25) ** 2);
    expect(Math.abs(dearShare({ k: 32, margin: 1.25 }, alone) - g / (1 + g))).toBeLessThanOrEqual(0.002);
  });
});
