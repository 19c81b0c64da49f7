import { describe, expect, it } from 'vitest';
import { createStrategy } from '../router/core/strategy.js';
import { createLearnedStrategy } from '../router/strategies/learned.js';
import type { QualityPredictor } from '../router/quality/index.js';
import { cand, makeCtx } from './helpers/candidates.js';
import '../router/strategies/index.js';

/** A predictor that reads its answer from the prompt: "cheap strong", e.g. "0.7 0.9". */
const stub: QualityPredictor = {
  predict(text) {
    const [cheap, strong] = text.split(' ').map(Number);
    return { cheap: cheap!, strong: strong! };
  },
};

const cheap = cand('cheap', { endpoint: { tier: 1, price: { input: 0.5, output: 1 } } });
const mid = cand('mid', { endpoint: { tier: 1, price: { input: 1, output: 2 } } });
const strong = cand('strong', { endpoint: { tier: 3, price: { input: 10, output: 30 } } });
const ctx = makeCtx();
const pickFor = (prompt: string, cands = [strong, mid, cheap], threshold = 0.1, strongTier?: number): string => {
  const s = createLearnedStrategy({ threshold, ...(strongTier !== undefined ? { strongTier } : {}) }, stub);
  return cands[s.pick(cands, { model: 'm', prompt }, ctx).index]!.endpoint.id;
};

describe('learned strategy', () => {
  it('takes the cheapest endpoint while the strong tier gains at most the threshold', () => {
    expect(pickFor('0.80 0.90')).toBe('cheap'); // gain 0.10 <= 0.1
    expect(pickFor('0.70 0.90')).toBe('strong'); // gain 0.20 > 0.1
    expect(pickFor('0.95 0.90')).toBe('cheap'); // the strong one is predicted worse
  });

  it('the threshold trades quality for cost: 0 sends every predicted gain to the strong tier, 1 never', () => {
    expect(pickFor('0.89 0.90', undefined, 0)).toBe('strong');
    expect(pickFor('0.10 0.90', undefined, 1)).toBe('cheap');
  });

  it('with the strong endpoint ejected the cheap tier is the best present and is picked', () => {
    expect(pickFor('0.10 0.90', [mid, cheap])).toBe('cheap');
  });

  it('a strongTier above every candidate picks the best predicted, cheapest first', () => {
    expect(pickFor('0.10 0.90', [mid, cheap], 0.1, 5)).toBe('cheap');
  });

  it('explains its pick in the trace: both predictions, the gain and the threshold', () => {
    const s = createLearnedStrategy({ threshold: 0.1 }, stub);
    const p = s.pick([strong, cheap], { model: 'm', prompt: '0.5 0.9' }, ctx);
    expect(p.reason).toMatch(/P\(cheap ok\) 0\.500, P\(strong ok\) 0\.900, gain 0\.400 > threshold 0\.1/);
    expect(p.scores).toEqual([0.9, 0.5]);
  });

  it('predicts once per request across retries', () => {
    let calls = 0;
    const counting: QualityPredictor = { predict: (t) => (calls++, stub.predict(t)) };
    const s = createLearnedStrategy({ threshold: 0.1 }, counting);
    const req = { model: 'm', prompt: '0.5 0.9' };
    s.pick([strong, cheap], req, ctx);
    s.pick([cheap], req, ctx);
    expect(calls).toBe(1);
  });

  it('the shipped model: threshold -1 always picks the strong tier, 1 the cheapest; the default is the model\'s threshold for 95% of strong quality', () => {
    const s0 = createStrategy({ name: 'learned', params: { threshold: -1 } });
    expect(s0.pick([strong, cheap], { model: 'm', prompt: 'What is 2+2?' }, ctx).index).toBe(0);
    const s1 = createStrategy({ name: 'learned', params: { threshold: 1 } });
    expect(s1.pick([strong, cheap], { model: 'm', prompt: 'What is 2+2?' }, ctx).index).toBe(1);
    const d = createStrategy('learned');
    expect(d.pick([strong, cheap], { model: 'm', prompt: 'hi' }, ctx).reason).toMatch(/threshold 0\.1062/);
  });

  it('rejects a threshold outside [-1, 1], naming the param', () => {
    expect(() => createStrategy({ name: 'learned', params: { threshold: 2 } })).toThrow(/threshold/);
    expect(() => createStrategy({ name: 'learned', params: { limit: 2 } })).toThrow(/limit/);
  });
});
