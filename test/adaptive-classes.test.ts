/**
 * adaptive's class-aware pool: when endpoints declare `classes`, the request's class narrows the
 * candidates to the healthy ones fit for it, then adaptive's usual scoring picks among them.
 * Deterministic (SWRR, virtual time through ctx.now).
 */
import { describe, expect, it } from 'vitest';
import '../router/strategies/index.js';
import { createStrategy, type Classifier, type Strategy } from '../router/core/strategy.js';
import type { Candidate, RouteRequest } from '../router/core/types.js';
import { EJECTED, cand, countPicks, makeCtx } from './helpers/candidates.js';

const stats = { latencyMs: 100, recentLatenciesMs: [100], successRate: 1, windowRequests: 50 };
// cheap serves chat only; strong serves everything at 20x the price.
const cheap = cand('cheap', { endpoint: { classes: ['general', 'writing'], price: { input: 0.5, output: 0.5 } }, stats });
const strong = cand('strong', { endpoint: { classes: ['math', 'general', 'writing'], price: { input: 10, output: 10 } }, stats });
const both = [cheap, strong];

/** adaptive with classAware 'classify' (the default is 'declared') unless params say otherwise. */
const adaptive = (params: Record<string, unknown> = {}, classifier?: Classifier): Strategy =>
  createStrategy({ name: 'adaptive', params: { classAware: true, ...params } }, classifier ? { classifier } : {});

/** A classifier that labels prompts containing "solve" as math, the rest general, and counts its calls. */
function countingClassifier(): Classifier & { calls: number } {
  const c = {
    calls: 0,
    classes: ['general', 'writing', 'math', 'reasoning', 'coding'],
    classify(text: string) {
      c.calls += 1;
      const label = text.includes('solve') ? 'math' : 'general';
      return { label, scores: { [label]: 1 } };
    },
  };
  return c;
}

describe('adaptive: prompt classes', () => {
  it('sends a math request only to the endpoint fit for math, although it is 20x dearer', () => {
    const counts = countPicks(adaptive(), both, 200, makeCtx(1), { model: 'm', promptClass: 'math' });
    expect(counts.get('strong')).toBe(200);
  });

  it('lets cost decide among the fit endpoints (general: the cheap one takes > 95%)', () => {
    const counts = countPicks(adaptive(), both, 200, makeCtx(1), { model: 'm', promptClass: 'general' });
    expect(counts.get('cheap')!).toBeGreaterThan(190);
  });

  it('ignores classes with classAware: false (math goes mostly to the cheap endpoint)', () => {
    const counts = countPicks(adaptive({ classAware: false }), both, 200, makeCtx(1), { model: 'm', promptClass: 'math' });
    expect(counts.get('cheap')!).toBeGreaterThan(190);
  });

  it('falls back to every candidate when the only fit endpoint is unhealthy', () => {
    const sick = cand('strong', { endpoint: strong.endpoint, stats, health: EJECTED });
    const counts = countPicks(adaptive(), [cheap, sick], 200, makeCtx(1), { model: 'm', promptClass: 'math' });
    expect(counts.get('cheap')!).toBeGreaterThan(190);
  });

  it('treats an endpoint with no classes as fit for every class', () => {
    const any = cand('any', { endpoint: { price: { input: 1, output: 1 } }, stats });
    const counts = countPicks(adaptive(), [cheap, strong, any], 300, makeCtx(1), { model: 'm', promptClass: 'math' });
    expect(counts.get('cheap')).toBe(0);
    expect(counts.get('any')! + counts.get('strong')!).toBe(300);
    expect(counts.get('any')!).toBeGreaterThan(counts.get('strong')!);
  });

  it('reports NaN scores for candidates outside the class pool and indexes the caller\'s array', () => {
    const s = adaptive();
    const pick = s.pick([cheap, strong], { model: 'm', promptClass: 'math' }, makeCtx(1));
    expect(pick.index).toBe(1);
    expect(Number.isNaN(pick.scores![0]!)).toBe(true);
    expect(pick.scores![1]!).toBeGreaterThan(0);
    expect(pick.reason).toMatch(/^class math: 1 fit; /);
  });

  it('classifies the prompt once per request (a retry picks again without classifying) and never without classes', () => {
    const clf = countingClassifier();
    const s = adaptive({}, clf);
    const req: RouteRequest = { model: 'm', messages: [{ role: 'user', content: 'solve x^2 = 4' }] };
    const ctx = makeCtx(1);
    expect(both[s.pick(both, req, ctx).index]!.endpoint.id).toBe('strong');
    expect(both[s.pick(both, req, ctx).index]!.endpoint.id).toBe('strong');
    expect(clf.calls).toBe(1);
    // promptClass given: no classification.
    s.pick(both, { model: 'm', promptClass: 'general' }, ctx);
    expect(clf.calls).toBe(1);
    // No endpoint declares classes: the classifier is never consulted.
    const plain: Candidate[] = [cand('x', { stats }), cand('y', { stats })];
    for (let i = 0; i < 10; i++) s.pick(plain, { model: 'm', messages: [{ role: 'user', content: `solve ${i}` }] }, ctx);
    expect(clf.calls).toBe(1);
  });

  it('picks exactly as before when no endpoint declares classes (same sequence as classAware: false)', () => {
    const plain: Candidate[] = [
      cand('x', { stats, endpoint: { price: { input: 1, output: 1 } } }),
      cand('y', { stats: { ...stats, latencyMs: 150, recentLatenciesMs: [150] }, endpoint: { price: { input: 0.8, output: 0.8 } } }),
    ];
    const seq = (s: Strategy): number[] => {
      const ctx = makeCtx(3);
      const out: number[] = [];
      for (let i = 0; i < 3_000; i++, ctx.now += 1) out.push(s.pick(plain, { model: 'm', promptClass: 'math' }, ctx).index);
      return out;
    };
    expect(seq(adaptive())).toEqual(seq(adaptive({ classAware: false })));
  });
});

describe("adaptive: classAware 'declared', the default: only the caller's class narrows", () => {
  it('by default sends a request declared math only to the endpoint declaring math', () => {
    const counts = countPicks(createStrategy('adaptive'), both, 200, makeCtx(1), { model: 'm', promptClass: 'math' });
    expect(counts.get('strong')).toBe(200);
    expect(countPicks(adaptive({ classAware: 'declared' }), both, 200, makeCtx(1), { model: 'm', promptClass: 'math' })).toEqual(counts);
  });

  it('never classifies: a request with no declared class is picked exactly as with classes off', () => {
    const clf = countingClassifier();
    const seq = (s: Strategy): number[] => {
      const ctx = makeCtx(2);
      const out: number[] = [];
      for (let i = 0; i < 2_000; i++, ctx.now += 1) out.push(s.pick(both, { model: 'm', messages: [{ role: 'user', content: `solve ${i}` }] }, ctx).index);
      return out;
    };
    const declared = seq(createStrategy('adaptive', { classifier: clf }));
    expect(clf.calls).toBe(0);
    expect(declared).toEqual(seq(adaptive({ classAware: false })));
    // 'classify' (and true, its old spelling) labels the same prompts math and sends them to strong.
    const clf2 = countingClassifier();
    expect(new Set(seq(adaptive({ classAware: 'classify' }, clf2)))).toEqual(new Set([1]));
    expect(clf2.calls).toBe(2_000);
    expect(seq(adaptive({ classAware: true }, countingClassifier()))).toEqual(seq(adaptive({ classAware: 'classify' }, countingClassifier())));
  });

  it('rejects a classAware value it does not know', () => {
    expect(() => createStrategy({ name: 'adaptive', params: { classAware: 'guess' } })).toThrow(/classAware/);
  });
});

describe('adaptive: prompt classes narrow only when the class excludes a healthy candidate', () => {
  it('picks as without classes when every healthy candidate is fit (an unhealthy one keeps its share)', () => {
    const half = cand('half', { endpoint: { classes: ['math'], price: { input: 0.5, output: 0.5 } }, stats, health: { state: 'half-open' } });
    const cs = [cheap, strong, half];
    const seq = (s: Strategy): number[] => {
      const ctx = makeCtx(5);
      const out: number[] = [];
      for (let i = 0; i < 2_000; i++, ctx.now += 1) out.push(s.pick(cs, { model: 'm', promptClass: 'general' }, ctx).index);
      return out;
    };
    const on = seq(adaptive());
    expect(on).toEqual(seq(adaptive({ classAware: false })));
    expect(on).toContain(2);
  });
});
