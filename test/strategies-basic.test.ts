/** Statistical tests: round-robin, weighted (SWRR), random, weighted-random. Fixed seeds, stated tolerances. */
import { describe, expect, it } from 'vitest';
import '../router/strategies/index.js';
import { createStrategy } from '../router/core/strategy.js';
import type { Candidate } from '../router/core/types.js';
import { REQ, cand, countPicks, makeCtx, shares, weightedSet, withState } from './helpers/candidates.js';

describe('round-robin', () => {
  it('gives exactly equal counts in a fixed cycle (exact equality over 10k picks)', () => {
    const s = createStrategy('round-robin');
    const cs = weightedSet([1, 1, 1, 1]);
    const ctx = makeCtx();
    const seq = Array.from({ length: 8 }, () => cs[s.pick(cs, REQ, ctx).index]!.endpoint.id).join('');
    expect(seq).toBe('abcdabcd');
    const counts = countPicks(s, cs, 10_000 - 8, ctx);
    expect([...counts.values()].map((v) => v + 2)).toEqual([2500, 2500, 2500, 2500]);
  });

  it('keeps cycling the rest when one endpoint leaves, and takes it back when it returns', () => {
    const s = createStrategy('round-robin');
    const [a, b, c] = weightedSet([1, 1, 1]) as [Candidate, Candidate, Candidate];
    const ctx = makeCtx();
    const ids = (set: Candidate[], n: number) => Array.from({ length: n }, () => set[s.pick(set, REQ, ctx).index]!.endpoint.id).join('');
    expect(ids([a, b, c], 2)).toBe('ab');
    expect(ids([a, c], 4)).toBe('caca'); // b ejected
    expect(ids([a, b, c], 3)).toBe('bca'); // b back: least recently picked goes first
  });
});

describe('weighted (smooth weighted round robin)', () => {
  it('3:1:1 gives shares within 1% absolute over 10k picks (in fact exact), interleaved', () => {
    const s = createStrategy('weighted');
    const cs = weightedSet([3, 1, 1]);
    const ctx = makeCtx();
    const seq = Array.from({ length: 10_000 }, () => cs[s.pick(cs, REQ, ctx).index]!.endpoint.id);
    const sh = shares(new Map(['a', 'b', 'c'].map((id) => [id, seq.filter((x) => x === id).length])));
    expect(Math.abs(sh['a']! - 0.6)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(sh['b']! - 0.2)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(sh['c']! - 0.2)).toBeLessThanOrEqual(0.01);
    expect(sh).toEqual({ a: 0.6, b: 0.2, c: 0.2 }); // SWRR is exact over whole cycles
    expect(seq.slice(0, 5).join('')).toBe('abaca'); // smooth: never a a a b c
    let run = 1;
    let maxRun = 1;
    for (let i = 1; i < seq.length; i++) maxRun = Math.max(maxRun, (run = seq[i] === seq[i - 1] ? run + 1 : 1));
    expect(maxRun).toBeLessThanOrEqual(2);
  });

  it('multiplies slowStart into the weight and honours params.weights overrides', () => {
    const cs = weightedSet([1, 1]);
    const ramping = [cs[0]!, withState(cs[1]!, { health: { slowStart: 0.25 } })];
    const sh1 = shares(countPicks(createStrategy('weighted'), ramping, 10_000));
    expect(sh1['b']).toBeCloseTo(0.2, 2); // 0.25 / 1.25
    const sh2 = shares(countPicks(createStrategy({ name: 'weighted', params: { weights: { a: 9 } } }), cs, 10_000));
    expect(sh2['a']).toBeCloseTo(0.9, 2);
  });

  it('rejects a non-positive weight override, naming the field', () => {
    expect(() => createStrategy({ name: 'weighted', params: { weights: { a: 0 } } })).toThrow(/params\.weights\.a/);
  });
});

describe('random', () => {
  it('4 endpoints get 25% each within 2% absolute over 10k picks (seed 11)', () => {
    const sh = shares(countPicks(createStrategy('random'), weightedSet([1, 5, 1, 1]), 10_000, makeCtx(11)));
    for (const v of Object.values(sh)) expect(Math.abs(v - 0.25)).toBeLessThanOrEqual(0.02);
  });
});

describe('weighted-random', () => {
  it('3:1:1 gives shares within 2% absolute over 10k picks (seed 7)', () => {
    const sh = shares(countPicks(createStrategy('weighted-random'), weightedSet([3, 1, 1]), 10_000, makeCtx(7)));
    expect(Math.abs(sh['a']! - 0.6)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(sh['b']! - 0.2)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(sh['c']! - 0.2)).toBeLessThanOrEqual(0.02);
  });

  it('an endpoint at slowStart 0.5 gets half its weight (within 2%)', () => {
    const cs = [cand('a'), cand('b', { health: { slowStart: 0.5 } })];
    const sh = shares(countPicks(createStrategy('weighted-random'), cs, 10_000, makeCtx(5)));
    expect(Math.abs(sh['b']! - 1 / 3)).toBeLessThanOrEqual(0.02);
  });
});
