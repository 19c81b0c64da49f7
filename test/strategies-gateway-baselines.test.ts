/** Tests: the LiteLLM (shuffle, least-busy, usage, cost) and Portkey loadbalance baselines. */
import { describe, expect, it } from 'vitest';
import '../router/strategies/index.js';
import { createStrategy } from '../router/core/strategy.js';
import { cand, countPicks, makeCtx, shares, weightedSet } from './helpers/candidates.js';

describe('baseline-litellm-shuffle', () => {
  it('draws by weight: 3:1 within 2% over 10k picks (seed 5)', () => {
    const sh = shares(countPicks(createStrategy('baseline-litellm-shuffle'), weightedSet([3, 1]), 10_000, makeCtx(5)));
    expect(Math.abs(sh['a']! - 0.75)).toBeLessThanOrEqual(0.02);
  });

  it('by rpm reads the rpm limits; uniform ignores weights (within 2%, seed 7)', () => {
    const cs = [cand('a', { endpoint: { weight: 9, limits: { rpm: 100 } } }), cand('b', { endpoint: { weight: 1, limits: { rpm: 300 } } })];
    const byRpm = shares(countPicks(createStrategy({ name: 'baseline-litellm-shuffle', params: { by: 'rpm' } }), cs, 10_000, makeCtx(7)));
    expect(Math.abs(byRpm['b']! - 0.75)).toBeLessThanOrEqual(0.02);
    const uni = shares(countPicks(createStrategy({ name: 'baseline-litellm-shuffle', params: { by: 'uniform' } }), cs, 10_000, makeCtx(7)));
    expect(Math.abs(uni['a']! - 0.5)).toBeLessThanOrEqual(0.02);
  });

  it('a misspelt `by` names the field and the valid values', () => {
    expect(() => createStrategy({ name: 'baseline-litellm-shuffle', params: { by: 'weights' } })).toThrow(/params.*by.*weight.*rpm.*tpm.*uniform/s);
  });
});

describe('baseline-litellm-least-busy', () => {
  it('picks the fewest in flight; on ties the first in order, every time', () => {
    const s = createStrategy('baseline-litellm-least-busy');
    const cs = [cand('a', { stats: { inFlight: 3 } }), cand('b', { stats: { inFlight: 1 } }), cand('c', { stats: { inFlight: 1 } })];
    expect(shares(countPicks(s, cs, 200))['b']).toBe(1);
    expect(shares(countPicks(s, [cand('x'), cand('y')], 200))['x']).toBe(1);
  });
});

describe('baseline-litellm-usage', () => {
  it('picks the lowest tokens used this minute, skipping one over its rpm; a new minute starts from zero', () => {
    const s = createStrategy('baseline-litellm-usage');
    const ctx = makeCtx(3, 0);
    const at = (a: number, b: number, cRequests: number) => [
      cand('a', { stats: { inputTokens: a } }),
      cand('b', { stats: { inputTokens: b } }),
      cand('c', { stats: { requests: cRequests }, endpoint: { limits: { rpm: 5 } } }),
    ];
    // The first look in a minute sets the baselines; c then sends 5 requests (its rpm).
    s.pick(at(100, 100, 0), { model: 'm' }, ctx);
    // a and b used 0 tokens this minute -> a tie; c is at its rpm.
    const first = shares(countPicks(s, at(100, 100, 5), 2_000, ctx));
    expect(first['c']).toBe(0);
    expect(Math.abs(first['a']! - 0.5)).toBeLessThanOrEqual(0.04);
    // a used 500 more tokens this minute, b 50: b wins.
    expect(at(600, 150, 5)[s.pick(at(600, 150, 5), { model: 'm' }, ctx).index]!.endpoint.id).toBe('b');
    // Next minute: usage counts from new baselines (all 0): a three-way tie, c usable again.
    ctx.now = 60_000;
    const next = shares(countPicks(s, at(600, 150, 5), 3_000, ctx));
    expect(Math.abs(next['a']! - 1 / 3)).toBeLessThanOrEqual(0.04);
    expect(Math.abs(next['c']! - 1 / 3)).toBeLessThanOrEqual(0.04);
  });

  it('skips a deployment whose tpm cannot take the request input; all over: lowest usage, with the reason', () => {
    const s = createStrategy('baseline-litellm-usage');
    const cs = [cand('small', { endpoint: { limits: { tpm: 100 } } }), cand('big', { endpoint: { limits: { tpm: 10_000 } } })];
    expect(cs[s.pick(cs, { model: 'm', inputTokens: 500 }, makeCtx()).index]!.endpoint.id).toBe('big');
    const p = s.pick(cs, { model: 'm', inputTokens: 50_000 }, makeCtx());
    expect(p.reason).toMatch(/over its limits/);
  });
});

describe('baseline-litellm-cost', () => {
  it('always the lowest input + output list price', () => {
    const cs = [cand('p3', { endpoint: { price: { input: 1, output: 2 } } }), cand('p2', { endpoint: { price: { input: 1.5, output: 0.5 } } })];
    expect(shares(countPicks(createStrategy('baseline-litellm-cost'), cs, 100))['p2']).toBe(1);
  });
});

describe('baseline-portkey-loadbalance', () => {
  it('shares follow the normalised weights 5:3:1 within 2% (seed 11), slow start ignored', () => {
    const cs = weightedSet([5, 3, 1]).map((c, i) => (i === 2 ? cand(c.endpoint.id, { endpoint: c.endpoint, health: { slowStart: 0.1 } }) : c));
    const sh = shares(countPicks(createStrategy('baseline-portkey-loadbalance'), cs, 10_000, makeCtx(11)));
    expect(Math.abs(sh['a']! - 5 / 9)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(sh['c']! - 1 / 9)).toBeLessThanOrEqual(0.02);
  });
});
