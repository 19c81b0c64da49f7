/** Tests: cost (tier/budget/ties), priority (chain, order, panic), score (weights, ties by draw). */
import { describe, expect, it } from 'vitest';
import '../router/strategies/index.js';
import { createStrategy } from '../router/core/strategy.js';
import type { Candidate, RouteRequest } from '../router/core/types.js';
import { EJECTED, cand, countPicks, makeCtx, shares } from './helpers/candidates.js';

const price = (p: number) => ({ price: { input: p, output: p } });
const pickId = (name: string | { name: string; params: Record<string, unknown> }, cs: Candidate[], req: RouteRequest = { model: 'm' }) =>
  cs[createStrategy(name).pick(cs, req, makeCtx()).index]!.endpoint.id;

describe('cost', () => {
  const cs = [
    cand('cheap-t0', { endpoint: { ...price(0.1), tier: 0 } }),
    cand('mid-t1', { endpoint: { ...price(1), tier: 1 } }),
    cand('dear-t2', { endpoint: { ...price(10), tier: 2 } }),
    cand('midplus-t1', { endpoint: { ...price(2), tier: 1 } }),
  ];

  it('picks the cheapest meeting the tier (every time: 1,000 of 1,000 picks)', () => {
    expect(pickId('cost', cs)).toBe('cheap-t0');
    expect(shares(countPicks(createStrategy('cost'), cs, 1_000, makeCtx(), { model: 'm', minTier: 1 }))['mid-t1']).toBe(1);
    expect(pickId('cost', cs, { model: 'm', minTier: 2 })).toBe('dear-t2');
  });

  it('honours maxPrice, and serves the cheapest meeting tier when the budget cannot be met', () => {
    expect(pickId('cost', cs, { model: 'm', minTier: 2, maxPrice: 5 })).toBe('dear-t2');
    expect(pickId('cost', [cs[2]!, cs[3]!], { model: 'm', minTier: 1, maxPrice: 2 })).toBe('midplus-t1');
  });

  it('falls back to the best tier available when none meets minTier', () => {
    expect(pickId('cost', [cs[0]!, cs[1]!, cs[3]!], { model: 'm', minTier: 5 })).toBe('mid-t1');
  });

  it('params give defaults the request can override', () => {
    expect(pickId({ name: 'cost', params: { minTier: 1 } }, cs)).toBe('mid-t1');
    expect(pickId({ name: 'cost', params: { minTier: 1 } }, cs, { model: 'm', minTier: 0 })).toBe('cheap-t0');
  });

  it('breaks price ties (within epsilon) by latency, then in-flight', () => {
    const tie = [
      cand('slow', { endpoint: price(1), stats: { latencyMs: 300 } }),
      cand('fast-busy', { endpoint: price(1.0005), stats: { latencyMs: 100, inFlight: 4 } }),
      cand('fast-idle', { endpoint: price(1), stats: { latencyMs: 100, inFlight: 1 } }),
      cand('dearer', { endpoint: price(1.01), stats: { latencyMs: 1 } }),
    ];
    expect(pickId('cost', tie)).toBe('fast-idle');
    const p = createStrategy('cost').pick(tie, { model: 'm' }, makeCtx());
    expect(p.scores).toEqual([1, 1.0005, 1, 1.01]);
    // With epsilon 0 only exact-price ties count.
    expect(pickId({ name: 'cost', params: { epsilon: 0 } }, [tie[1]!, tie[0]!])).toBe('slow');
  });
});

describe('priority', () => {
  const chain = [
    cand('backup', { endpoint: { priority: 2 } }),
    cand('primary', { endpoint: { priority: 0 } }),
    cand('secondary-a', { endpoint: { priority: 1 } }),
    cand('secondary-b', { endpoint: { priority: 1 } }),
  ];

  it('first in chain wins: priority, then config order', () => {
    expect(pickId('priority', chain)).toBe('primary');
    expect(pickId('priority', [chain[0]!, chain[2]!, chain[3]!])).toBe('secondary-a');
    expect(pickId('priority', [chain[0]!, chain[3]!, chain[2]!])).toBe('secondary-b');
    expect(pickId('priority', [chain[0]!])).toBe('backup');
  });

  it('params.order puts listed ids first, in that order', () => {
    expect(pickId({ name: 'priority', params: { order: ['backup', 'primary'] } }, chain)).toBe('backup');
  });

  it('in panic mode (unavailable ones passed too) prefers the first available', () => {
    const panic = [chain[1]!, chain[2]!].map((c, i) => (i === 0 ? cand(c.endpoint.id, { endpoint: c.endpoint, health: EJECTED }) : c));
    expect(pickId('priority', panic)).toBe('secondary-a');
  });
});

describe('score', () => {
  const cs = [
    cand('fast-dear', { endpoint: { ...price(10), quality: { default: 0.9 } }, stats: { latencyMs: 100, successRate: 1 } }),
    cand('slow-cheap', { endpoint: { ...price(1), quality: { default: 0.9 } }, stats: { latencyMs: 400, successRate: 1 } }),
    cand('flaky', { endpoint: { ...price(1), quality: { default: 0.9 } }, stats: { latencyMs: 100, successRate: 0.2 } }),
  ];

  it('lowest weighted score wins; the weights decide the trade-off; scores are traced', () => {
    // Defaults: fast-dear .25+0+1+.1 = 1.35, slow-cheap 1+0+.1+.1 = 1.2, flaky .25+.8+.1+.1 = 1.25
    const p = createStrategy('score').pick(cs, { model: 'm' }, makeCtx());
    expect(cs[p.index]!.endpoint.id).toBe('slow-cheap');
    expect(p.scores![0]).toBeCloseTo(1.35, 9);
    expect(pickId({ name: 'score', params: { weights: { latency: 4 } } }, cs)).toBe('flaky');
    expect(pickId({ name: 'score', params: { weights: { latency: 4, errors: 4 } } }, cs)).toBe('fast-dear');
  });

  it('uses quality for the request prompt class', () => {
    const q = [
      cand('coder', { endpoint: { quality: { default: 0.5, coding: 1 } } }),
      cand('generalist', { endpoint: { quality: { default: 0.9, coding: 0.4 } } }),
    ];
    expect(pickId('score', q, { model: 'm', promptClass: 'coding' })).toBe('coder');
    expect(pickId('score', q, { model: 'm', promptClass: 'math' })).toBe('generalist');
  });

  it('settles exact ties by the draw: 50% each within 2% over 10k picks (seed 8)', () => {
    const tie = [cand('x'), cand('y')];
    const sh = shares(countPicks(createStrategy('score'), tie, 10_000, makeCtx(8)));
    expect(Math.abs(sh['x']! - 0.5)).toBeLessThanOrEqual(0.02);
  });
});
