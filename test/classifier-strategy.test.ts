import { describe, expect, it } from 'vitest';
import { endpointSchema, normalizeEndpoint } from '../router/core/config.js';
import { RouterError } from '../router/core/errors.js';
import { seededRandom } from '../router/core/random.js';
import { createStrategy, registerStrategy, type Classifier, type PickContext } from '../router/core/strategy.js';
import type { Candidate, RouteRequest, StatsSnapshot } from '../router/core/types.js';
import type { EndpointConfig } from '../router/core/config.js';
import { z } from 'zod';
import { promptText } from '../router/classifier/prompt-text.js';
import '../router/strategies/classifier.js';

// Inner strategies of our own, so these tests do not depend on the other strategies' files.
registerStrategy({
  name: 'test-classifier-cycle',
  optimises: 'test: cycles through candidates',
  needs: 'nothing',
  params: z.strictObject({}),
  create: () => {
    let cursor = 0;
    return { name: 'test-classifier-cycle', pick: (cands) => ({ index: cursor++ % cands.length, scores: cands.map((_, i) => i), reason: 'cycle' }) };
  },
});

const stats: StatsSnapshot = {
  inFlight: 0, requests: 0, successes: 0, failures: 0, latencyMs: null, ttftMs: null, successRate: null,
  windowRequests: 0, consecutiveFailures: 0, recentLatenciesMs: [], lastFailureAt: null, lastSuccessAt: null,
  inputTokens: 0, outputTokens: 0, costUsd: 0,
};

function candidate(id: string, classes: string[]): Candidate {
  const endpoint = normalizeEndpoint(endpointSchema.parse({ id, provider: 'p', model: 'm', classes } satisfies EndpointConfig));
  return { endpoint, stats, health: { state: 'healthy', available: true, until: null, ejections: 0, slowStart: 1 } };
}

const ctx: PickContext = { now: 0, random: seededRandom(1) };
const inner = 'test-classifier-cycle';
const CODE = 'Write a Python function that parses a CSV file and returns a dict. Fix this bug:\n```\ndef f(x):\n    return x[0]\n```';
const POEM = 'Write a short poem about autumn leaves falling in the park.';

const coder = candidate('coder', ['coding']);
const writer = candidate('writer', ['writing']);
const anything = candidate('anything', []);
const mathOnly = candidate('math-only', ['math']);

function pickIds(strategyRef: Parameters<typeof createStrategy>[0], cands: Candidate[], req: RouteRequest, n: number, deps = {}) {
  const s = createStrategy(strategyRef, deps);
  return Array.from({ length: n }, () => cands[s.pick(cands, req, ctx).index]!.endpoint.id);
}

describe('classifier strategy', () => {
  it('never sends a coding prompt to a writing-only endpoint, and vice versa', () => {
    const cands = [writer, coder, anything];
    const code = pickIds({ name: 'classifier', params: { inner } }, cands, { model: 'm', prompt: CODE }, 100);
    expect(new Set(code)).toEqual(new Set(['coder', 'anything']));
    const poem = pickIds({ name: 'classifier', params: { inner } }, cands, { model: 'm', prompt: POEM }, 100);
    expect(new Set(poem)).toEqual(new Set(['writer', 'anything']));
  });

  it('reads the user messages (string or text parts) when there is no prompt', () => {
    const req: RouteRequest = {
      model: 'm',
      messages: [
        { role: 'system', content: 'You are a poet who writes lovely verse.' },
        { role: 'user', content: [{ type: 'text', text: CODE }, { type: 'image_url', image_url: { url: 'x' } }] },
      ],
    };
    expect(promptText(req)).toBe(CODE);
    expect(promptText({ messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 'c' }] })).toBe('a\nc');
    expect(new Set(pickIds({ name: 'classifier', params: { inner } }, [writer, coder], req, 10))).toEqual(new Set(['coder']));
  });

  it('request.promptClass skips the classifier; the reason names the class and confidence', () => {
    let calls = 0;
    const stub: Classifier = { classes: ['coding', 'writing'], classify: () => (calls++, { label: 'coding', scores: { coding: 0.9, writing: 0.1 } }) };
    const s = createStrategy({ name: 'classifier', params: { inner } }, { classifier: stub });
    const given = s.pick([writer, coder], { model: 'm', prompt: CODE, promptClass: 'writing' }, ctx);
    expect(given.index).toBe(0);
    expect(calls).toBe(0);
    expect(given.reason).toMatch(/class writing \(given by request\)/);
    const req: RouteRequest = { model: 'm', prompt: POEM };
    const p = s.pick([writer, coder], req, ctx);
    expect(p.index).toBe(1);
    expect(p.reason).toMatch(/class coding \(classifier confidence 0\.900\); 1\/2 fit; test-classifier-cycle: cycle/);
    s.pick([writer, coder], req, ctx); // a retry of the same request is not classified again
    expect(calls).toBe(1);
  });

  it('maps inner scores back to the full candidate list (NaN = not fit)', () => {
    const s = createStrategy({ name: 'classifier', params: { inner } });
    const p = s.pick([writer, coder, anything], { model: 'm', promptClass: 'coding' }, ctx);
    expect(p.scores).toEqual([Number.NaN, 0, 1]);
  });

  it('params.classes overrides endpoint.classes for the listed classes', () => {
    const params = { inner, classes: { coding: ['writer'] } };
    expect(new Set(pickIds({ name: 'classifier', params }, [writer, coder, anything], { model: 'm', promptClass: 'coding' }, 20))).toEqual(new Set(['writer']));
    // Classes not listed still use endpoint.classes.
    expect(new Set(pickIds({ name: 'classifier', params }, [writer, coder, mathOnly], { model: 'm', promptClass: 'math' }, 20))).toEqual(new Set(['math-only']));
  });

  it("falls back to all candidates when none fit (fallback 'all', the default)", () => {
    const s = createStrategy({ name: 'classifier', params: { inner } });
    const req: RouteRequest = { model: 'm', promptClass: 'writing' };
    const ids = Array.from({ length: 4 }, () => [coder, mathOnly][s.pick([coder, mathOnly], req, ctx).index]!.endpoint.id);
    expect(new Set(ids)).toEqual(new Set(['coder', 'math-only']));
    expect(s.pick([coder, mathOnly], req, ctx).reason).toMatch(/none fit, using all 2/);
  });

  it("throws no_candidates when none fit and fallback is 'error'", () => {
    const s = createStrategy({ name: 'classifier', params: { inner, fallback: 'error' } });
    try {
      s.pick([coder, mathOnly], { model: 'm', promptClass: 'writing' }, ctx);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RouterError);
      expect((e as RouterError).code).toBe('no_candidates');
      expect((e as RouterError).message).toMatch(/prompt class "writing"/);
    }
  });

  it('empty candidates -> RouterError no_candidates', () => {
    const s = createStrategy({ name: 'classifier', params: { inner } });
    expect(() => s.pick([], { model: 'm', prompt: CODE }, ctx)).toThrow(expect.objectContaining({ code: 'no_candidates' }));
  });

  it('is deterministic: same requests, same picks', () => {
    const cands = [writer, coder, anything, mathOnly];
    const reqs: RouteRequest[] = [CODE, POEM, 'Solve 3x^2 + 2x - 5 = 0 for x.', 'Explain how vaccines work.'].map((prompt) => ({ model: 'm', prompt }));
    const run = () => {
      const s = createStrategy({ name: 'classifier', params: { inner } });
      return Array.from({ length: 40 }, (_, i) => s.pick(cands, reqs[i % reqs.length]!, ctx).index);
    };
    expect(run()).toEqual(run());
  });

  it('bad params name the field; an unknown inner lists valid strategies', () => {
    expect(() => createStrategy({ name: 'classifier', params: { fallback: 'maybe' } })).toThrow(/params.*fallback/);
    expect(() => createStrategy({ name: 'classifier', params: { classes: { poetry: ['a'] } } })).toThrow(/params\.classes\.poetry: unknown prompt class; valid classes: coding, math/);
    expect(() => createStrategy({ name: 'classifier', params: { inner: 'no-such-strategy' } })).toThrow(
      expect.objectContaining({ code: 'unknown_strategy' }),
    );
  });
});
