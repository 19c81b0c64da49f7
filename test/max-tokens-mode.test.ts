import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registerStrategy } from '../router/core/strategy.js';
import { parseScenario } from '../scenarios/setup/load.js';
import { chatBody } from '../scenarios/load/samples.js';
import { declaredMaxTokens, type MaxTokensMode, type SimRequest } from '../simulator/types.js';

/**
 * Scenario `load.maxTokens`: what a client declares as max_tokens. The harness's default sends
 * each answer's exact length, which tells the router ahead how long every answer will be; the
 * other modes let a scenario check whether a rule's gain survives a client that only knows a
 * rough cap (pow2) or declares nothing (none). The answers themselves never change.
 */

const TINY = `
name: tiny
question: Which strategy keeps p99 lowest?
headline: { metrics: [latencyMs.p99], expectedWinner: latency }
seed: 3
providers:
  - { profile: openai-gpt-4o-mini, id: a }
load:
  rate: 10
  durationS: 6
  mix: [{ class: general, inputTokens: 100, outputTokens: 20 }]
strategies: [round-robin, latency]
`;

const req = (outputTokens: number): SimRequest => ({
  id: 7,
  arrivalMs: 0,
  promptClass: 'general',
  prompt: 'hello',
  inputTokens: 10,
  outputTokens,
  stream: false,
  sessionKey: 's',
});

describe('load.maxTokens', () => {
  it('declaredMaxTokens: exact, rounded up to a power of two, or none', () => {
    expect([300, 1, 0].map((n) => declaredMaxTokens('exact', n))).toEqual([300, 1, 1]);
    expect([300, 256, 257, 1, 0, 3].map((n) => declaredMaxTokens('pow2', n))).toEqual([512, 256, 512, 1, 1, 4]);
    expect(declaredMaxTokens('none', 300)).toBeUndefined();
  });

  it('the scenario field defaults to exact, takes pow2 and none, and names the field on a bad value', () => {
    expect(parseScenario(TINY, 'tiny.yaml').load.maxTokens).toBe('exact');
    for (const m of ['pow2', 'none'] as const) expect(parseScenario(TINY.replace('durationS: 6', `durationS: 6\n  maxTokens: ${m}`), 'tiny.yaml').load.maxTokens).toBe(m);
    expect(() => parseScenario(TINY.replace('durationS: 6', 'durationS: 6\n  maxTokens: 4096'), 'tiny.yaml')).toThrow(/load\.maxTokens/);
  });

  it('an http body declares the mode\'s max_tokens and always carries the answer length in its metadata', () => {
    const body = (mode?: MaxTokensMode) => JSON.parse(chatBody('chat', req(300), false, mode)) as { max_tokens?: number; metadata: Record<string, string> };
    expect(body().max_tokens).toBe(300);
    expect(body('pow2').max_tokens).toBe(512);
    const none = body('none');
    expect('max_tokens' in none).toBe(false);
    for (const b of [body(), body('pow2'), none]) expect(b.metadata.sim_output_tokens).toBe('300');
  });

  it('in sim mode the router sees the declared maxTokens, and the answers are the same in every mode', async () => {
    const { runSim } = await import('../simulator/run.js');
    const { parseProfile } = await import('../simulator/profile.js');
    const { baseProfile, noFail } = await import('./sim-profile-fixtures.js');
    const seen: Array<number | undefined> = [];
    registerStrategy({
      name: 'test-max-tokens-seen',
      optimises: 'nothing',
      needs: 'nothing',
      params: z.strictObject({}),
      create: () => ({ name: 'test-max-tokens-seen', pick: (_c, r) => (seen.push(r.maxTokens), { index: 0 }) }),
    });
    const p = parseProfile(baseProfile({ ...noFail, id: 'a' }), 'a');
    const run = async (maxTokens?: MaxTokensMode) => {
      seen.length = 0;
      const { result } = await runSim({
        router: { endpoints: [{ id: 'a', provider: 'a', model: 'chat', price: p.price }], strategy: 'test-max-tokens-seen' },
        providers: [{ id: 'a', profile: p }],
        workload: { arrivals: 'poisson', rate: 20, durationS: 5, mix: [{ class: 'general', weight: 1, inputTokens: { median: 100, sigma: 0.5 }, outputTokens: { median: 200, sigma: 1 } }] },
        seed: 5,
        oracle: false,
        ...(maxTokens ? { maxTokens } : {}),
      });
      return { summary: result.summary, seen: [...seen] };
    };
    const exact = await run();
    const pow2 = await run('pow2');
    const none = await run('none');
    expect(exact.seen.length).toBeGreaterThan(50);
    expect(exact.seen.some((n) => n !== undefined && Math.log2(n) % 1 !== 0)).toBe(true);
    expect(pow2.seen.length).toBe(exact.seen.length);
    pow2.seen.forEach((n, i) => expect(n).toBe(declaredMaxTokens('pow2', exact.seen[i]!)));
    expect(none.seen.every((n) => n === undefined)).toBe(true);
    // No rate limit reads the cap here and the one endpoint is always picked: identical runs.
    expect(JSON.stringify(pow2.summary)).toBe(JSON.stringify(exact.summary));
    expect(JSON.stringify(none.summary)).toBe(JSON.stringify(exact.summary));
  });
});
