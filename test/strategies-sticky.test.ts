/** Tests: sticky (weighted rendezvous hashing) affinity, balance and minimal remapping. */
import { describe, expect, it } from 'vitest';
import '../router/strategies/index.js';
import { createStrategy } from '../router/core/strategy.js';
import type { Candidate } from '../router/core/types.js';
import { cand, makeCtx, weightedSet } from './helpers/candidates.js';

const KEYS = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);

function assign(cs: readonly Candidate[], strategy = createStrategy('sticky')): string[] {
  const ctx = makeCtx();
  return KEYS.map((k) => cs[strategy.pick(cs, { model: 'm', sessionKey: k }, ctx).index]!.endpoint.id);
}

function shareOf(ids: string[], id: string): number {
  return ids.filter((x) => x === id).length / ids.length;
}

describe('sticky', () => {
  const five = weightedSet([1, 1, 1, 1, 1]);

  it('sends the same key to the same endpoint, across instances and candidate order', () => {
    const a = assign(five);
    expect(assign(five)).toEqual(a);
    expect(assign([...five].reverse())).toEqual(a);
  });

  it('spreads 10k keys evenly over 5 endpoints (each 20% within 2%)', () => {
    const a = assign(five);
    for (const c of five) expect(Math.abs(shareOf(a, c.endpoint.id) - 0.2)).toBeLessThanOrEqual(0.02);
  });

  it('removing 1 of 5 endpoints remaps <= 25% of 10k keys, and only keys that were on it', () => {
    const before = assign(five);
    const after = assign(five.filter((c) => c.endpoint.id !== 'c'));
    let moved = 0;
    for (let i = 0; i < KEYS.length; i++) {
      if (before[i] === after[i]) continue;
      moved += 1;
      expect(before[i]).toBe('c');
    }
    expect(moved / KEYS.length).toBeLessThanOrEqual(0.25);
    expect(moved).toBe(before.filter((x) => x === 'c').length);
  });

  it('weights by endpoint.weight: 2:1:1 gives 50/25/25 within 2%', () => {
    const a = assign(weightedSet([2, 1, 1]));
    expect(Math.abs(shareOf(a, 'a') - 0.5)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(shareOf(a, 'b') - 0.25)).toBeLessThanOrEqual(0.02);
  });

  it('requests without a key fall back to round-robin by default, or the configured strategy', () => {
    const s = createStrategy('sticky');
    const ctx = makeCtx();
    const ids = Array.from({ length: 6 }, () => five[s.pick(five, { model: 'm' }, ctx).index]!.endpoint.id).join('');
    expect(ids).toBe('abcdea');
    const cheap = [cand('dear', { endpoint: { price: { input: 9, output: 9 } } }), cand('cheap')];
    const byCost = createStrategy({ name: 'sticky', params: { fallback: 'cost' } });
    expect(cheap[byCost.pick(cheap, { model: 'm' }, ctx).index]!.endpoint.id).toBe('cheap');
  });

  it('names params.fallback when the fallback strategy is unknown', () => {
    expect(() => createStrategy({ name: 'sticky', params: { fallback: 'nope' } })).toThrow(/params\.fallback.*unknown strategy "nope"/s);
  });
});
