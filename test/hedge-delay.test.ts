import { describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { routerConfigSchema } from '../router/core/config.js';
import { seededRandom } from '../router/core/random.js';
import { FirstByteQuantile, hedgeDelayMs, type HedgeDelayConfig } from '../router/request/hedge-delay.js';
import { createRouter } from '../router/index.js';
import { FakeTransport, settle } from './helpers/fake-transport.js';

const cfg = (over: Partial<HedgeDelayConfig> = {}): HedgeDelayConfig => ({
  mode: 'quantile',
  delayMs: 1_000,
  minDelayMs: 250,
  maxDelayMs: 2_000,
  minSamples: 5,
  ...over,
});

const filled = (q: number, samples: number[]): FirstByteQuantile => {
  const f = new FirstByteQuantile(q);
  for (const s of samples) f.observe(s);
  return f;
};

describe('FirstByteQuantile', () => {
  it('is the nearest-rank quantile of the samples', () => {
    const xs = Array.from({ length: 20 }, (_, i) => (i + 1) * 100); // 100..2000
    expect(filled(0.95, xs).value).toBe(1_900); // ceil(0.95 * 20) = 19th smallest
    expect(filled(0.5, xs).value).toBe(1_000);
    expect(filled(0.95, [700]).value).toBe(700);
    expect(new FirstByteQuantile(0.95).value).toBeNaN();
  });

  it('keeps the last 64 samples: an old slow spell is forgotten', () => {
    const f = filled(0.95, Array.from({ length: 64 }, () => 5_000));
    for (let i = 0; i < 64; i++) f.observe(300);
    expect(f.value).toBe(300);
    expect(f.count).toBe(128);
  });

  it('recomputes at every sample until 64, then every 8 samples', () => {
    const f = filled(0.95, Array.from({ length: 60 }, () => 100));
    for (let i = 0; i < 4; i++) f.observe(9_000);
    expect(f.value).toBe(9_000); // 4 of 64 (6%) above the 95th percentile: seen at once while filling
    const g = filled(0.95, Array.from({ length: 64 }, () => 100));
    for (let i = 0; i < 7; i++) g.observe(9_000);
    expect(g.value).toBe(100); // cached: 7 samples since the last recompute
    g.observe(9_000);
    expect(g.value).toBe(9_000); // the 8th recomputes: 8 of 64 are 9,000
  });
});

describe('hedgeDelayMs', () => {
  const fast = filled(0.95, Array.from({ length: 10 }, () => 100));
  const mid = filled(0.95, Array.from({ length: 10 }, (_, i) => 500 + i * 100)); // p95 = 1400
  const slow = filled(0.95, Array.from({ length: 10 }, () => 9_000));
  it('clamps the endpoint quantile to [minDelayMs, maxDelayMs]', () => {
    expect(hedgeDelayMs(cfg(), mid)).toBe(1_400);
    expect(hedgeDelayMs(cfg(), fast)).toBe(250);
    expect(hedgeDelayMs(cfg(), slow)).toBe(2_000);
  });
  it('uses delayMs in fixed mode, without samples, and below minSamples', () => {
    expect(hedgeDelayMs(cfg({ mode: 'fixed' }), mid)).toBe(1_000);
    expect(hedgeDelayMs(cfg(), undefined)).toBe(1_000);
    expect(hedgeDelayMs(cfg({ minSamples: 11 }), mid)).toBe(1_000);
  });
  it('config defaults: off, fixed mode (delayMs keeps its meaning); quantile at p95 within [250, 2000] ms after 20 answers', () => {
    const h = routerConfigSchema.parse({ endpoints: [{ provider: 'p', model: 'm' }] }).hedging;
    expect(h).toEqual({
      enabled: false,
      mode: 'fixed',
      delayMs: 1_000,
      quantile: 0.95,
      minDelayMs: 250,
      maxDelayMs: 2_000,
      minSamples: 20,
      onHang: { enabled: 'auto', lagFactor: 2.5, minMs: 250, staleRatio: 2, soleHung: true, maxPriceRatio: 1.5 },
      onLong: { enabled: false, maxBudgetShare: 0.5, maxPriceRatio: 1.5, maxFailureRate: 0.05 },
    });
    expect(() => routerConfigSchema.parse({ endpoints: [{ provider: 'p', model: 'm' }], hedging: { minDelayMs: 3_000 } })).toThrow(/minDelayMs/);
  });
});

describe('quantile hedging in the router (injected clock)', () => {
  const two = (hedging: Record<string, unknown>) => ({
    endpoints: [
      { id: 'a', provider: 'pa', model: 'm' },
      { id: 'b', provider: 'pb', model: 'm' },
    ],
    hedging,
  });

  it('hedges after the first endpoint\'s own observed quantile, not delayMs, once it has minSamples answers', async () => {
    const clock = new ManualClock();
    // 6 warm-up requests answer in 300 ms (round-robin: 3 on a, 3 on b); then a hangs.
    const t = new FakeTransport(clock, (ep, _req, n) => ({ kind: 'ok', latencyMs: n >= 6 && ep.id === 'a' ? 10_000 : 300 }));
    const router = createRouter(two({ enabled: true, mode: 'quantile', delayMs: 1_000, minDelayMs: 100, minSamples: 3 }), { transport: t, clock, random: seededRandom(1) });
    for (let i = 0; i < 6; i++) await settle(clock, router.route({ model: 'm' }));
    const start = clock.now();
    const r = await settle(clock, router.route({ model: 'm' }));
    const calls = t.calls.slice(6).map((c) => [c.endpointId, c.at - start]);
    expect(calls).toEqual([
      ['a', 0],
      ['b', 300], // a's p95 of [300, 300, 300]: not the 1,000 ms of delayMs
    ]);
    expect(r.endpoint.id).toBe('b');
    expect(clock.now() - start).toBe(600);
  });

  it('fixed mode keeps delayMs whatever was observed', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, (ep, _req, n) => ({ kind: 'ok', latencyMs: n >= 6 && ep.id === 'a' ? 10_000 : 300 }));
    const router = createRouter(two({ enabled: true, mode: 'fixed', delayMs: 1_000, minSamples: 3 }), { transport: t, clock, random: seededRandom(1) });
    for (let i = 0; i < 6; i++) await settle(clock, router.route({ model: 'm' }));
    const start = clock.now();
    await settle(clock, router.route({ model: 'm' }));
    expect(t.calls.slice(6).map((c) => [c.endpointId, c.at - start])).toEqual([
      ['a', 0],
      ['b', 1_000],
    ]);
  });

  for (const mode of ['quantile', 'fixed'] as const)
    it(`${mode} mode: ${mode === 'quantile' ? 'no hedge' : 'a hedge'} when the endpoint already answered an attempt started after the primary`, async () => {
      const clock = new ManualClock();
      // Round-robin: r1 -> a (a long answer, 1 s), r2 -> b, r3 -> a (started at 10 ms, answered at 60).
      const t = new FakeTransport(clock, (_ep, _req, n) => ({ kind: 'ok', latencyMs: n === 0 ? 1_000 : 50 }));
      const router = createRouter(two({ enabled: true, mode, delayMs: 100, minSamples: 1_000 }), { transport: t, clock, random: seededRandom(1) });
      const r1 = router.route({ model: 'm' });
      await clock.advance(10);
      const r2 = router.route({ model: 'm' });
      const r3 = router.route({ model: 'm' });
      await settle(clock, Promise.all([r1, r2, r3]));
      expect(t.calls.slice(0, 3).map((c) => [c.endpointId, c.at])).toEqual([
        ['a', 0],
        ['b', 10],
        ['a', 10],
      ]);
      // At 100 ms a has answered r3 (started after r1): a works and r1 is just long; fixed mode hedges anyway.
      expect(t.calls.length).toBe(mode === 'quantile' ? 3 : 4);
    });
});
