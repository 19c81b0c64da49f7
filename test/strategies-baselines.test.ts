/** Tests: LiteLLM lowest-latency and OpenRouter price baselines (Envoy is in strategies-load). */
import { describe, expect, it } from 'vitest';
import '../router/strategies/index.js';
import { createStrategy } from '../router/core/strategy.js';
import { cand, countPicks, makeCtx, shares } from './helpers/candidates.js';

describe('baseline-litellm-latency', () => {
  it('picks the untried first, then the lowest mean of the last 10', () => {
    const s = createStrategy('baseline-litellm-latency');
    const tried = [
      cand('a', { stats: { recentLatenciesMs: [100, 300] } }), // mean 200
      cand('b', { stats: { recentLatenciesMs: [150, 150, 150] } }), // mean 150
    ];
    expect(shares(countPicks(s, [...tried, cand('untried')], 100))['untried']).toBe(1);
    const p = s.pick(tried, { model: 'm' }, makeCtx());
    expect(tried[p.index]!.endpoint.id).toBe('b');
    expect(p.scores).toEqual([200, 150]);
  });

  it('picks uniformly among equal means (several untried): 50% each within 2% (seed 6)', () => {
    const sh = shares(countPicks(createStrategy('baseline-litellm-latency'), [cand('x'), cand('y')], 10_000, makeCtx(6)));
    expect(Math.abs(sh['x']! - 0.5)).toBeLessThanOrEqual(0.02);
  });

  it('buffer accepts means within (1 + buffer) x lowest', () => {
    const cs = [cand('a', { stats: { recentLatenciesMs: [100] } }), cand('b', { stats: { recentLatenciesMs: [140] } }), cand('c', { stats: { recentLatenciesMs: [200] } })];
    const sh = shares(countPicks(createStrategy({ name: 'baseline-litellm-latency', params: { buffer: 0.5 } }), cs, 10_000, makeCtx(2)));
    expect(Math.abs(sh['a']! - 0.5)).toBeLessThanOrEqual(0.02);
    expect(sh['c']).toBe(0);
  });
});

describe('baseline-openrouter-price', () => {
  // Blended prices 1, 2, 3 -> weights 1, 1/4, 1/9 -> shares 36/49, 9/49, 4/49.
  const p = (x: number) => ({ price: { input: x, output: x } });
  const cs = [cand('p1', { endpoint: p(1) }), cand('p2', { endpoint: p(2) }), cand('p3', { endpoint: p(3) })];

  it('shares match 1/price^2 within 2% over 10k picks (seed 12)', () => {
    const sh = shares(countPicks(createStrategy('baseline-openrouter-price'), cs, 10_000, makeCtx(12)));
    expect(Math.abs(sh['p1']! - 36 / 49)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(sh['p2']! - 9 / 49)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(sh['p3']! - 4 / 49)).toBeLessThanOrEqual(0.02);
  });

  it('skips endpoints with a failure in the last 30 s, and uses all when every one had one', () => {
    const ctx = makeCtx(3, 100_000);
    const failed = [cand('p1', { endpoint: p(1), stats: { lastFailureAt: 80_000 } }), cs[1]!, cs[2]!];
    const sh = shares(countPicks(createStrategy('baseline-openrouter-price'), failed, 10_000, ctx));
    expect(sh['p1']).toBe(0);
    expect(Math.abs(sh['p2']! - 9 / 13)).toBeLessThanOrEqual(0.02);
    // 30 s later p1 is stable again.
    ctx.now = 110_000;
    expect(shares(countPicks(createStrategy('baseline-openrouter-price'), failed, 2_000, ctx))['p1']!).toBeGreaterThan(0.6);
    const allFailed = cs.map((c) => cand(c.endpoint.id, { endpoint: c.endpoint, stats: { lastFailureAt: 99_000 } }));
    const sh2 = shares(countPicks(createStrategy('baseline-openrouter-price'), allFailed, 10_000, makeCtx(4, 100_000)));
    expect(Math.abs(sh2['p1']! - 36 / 49)).toBeLessThanOrEqual(0.02);
  });
});
