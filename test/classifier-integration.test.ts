import { describe, expect, it } from 'vitest';
import { createStrategy } from '../router/core/strategy.js';
import { seededRandom } from '../router/core/random.js';
import { endpointSchema, normalizeEndpoint } from '../router/core/config.js';
import type { Candidate, StatsSnapshot } from '../router/core/types.js';
import type { EndpointConfig } from '../router/core/config.js';
import '../router/strategies/index.js';

/** The classifier strategy with the real built-in inner strategies and the shipped model. */
const stats = { inFlight: 0, requests: 0, successes: 0, failures: 0, latencyMs: null, ttftMs: null, successRate: null,
  windowRequests: 0, consecutiveFailures: 0, recentLatenciesMs: [], lastFailureAt: null, lastSuccessAt: null,
  inputTokens: 0, outputTokens: 0, costUsd: 0 } satisfies StatsSnapshot;
function cand(c: EndpointConfig): Candidate {
  return { endpoint: normalizeEndpoint(endpointSchema.parse(c)), stats, health: { state: 'healthy', available: true, until: null, ejections: 0, slowStart: 1 } };
}
const cands = [
  cand({ id: 'cheap-chat', provider: 'p', model: 'm', price: { input: 0.1, output: 0.4 }, classes: ['general', 'writing'] }),
  cand({ id: 'coder-a', provider: 'p', model: 'm', price: { input: 3, output: 15 }, classes: ['coding'] }),
  cand({ id: 'coder-b', provider: 'q', model: 'm', price: { input: 1, output: 4 }, classes: ['coding', 'math'] }),
  cand({ id: 'big', provider: 'r', model: 'm', price: { input: 5, output: 20 } }),
];
const ctx = { now: 0, random: seededRandom(7) };

describe('classifier strategy with built-in inner strategies', () => {
  it("defaults to 'cost': the cheapest endpoint fit for the class", () => {
    const s = createStrategy('classifier');
    const code = s.pick(cands, { model: 'm', prompt: 'Write a TypeScript function that debounces another function.' }, ctx);
    expect(cands[code.index]!.endpoint.id).toBe('coder-b');
    expect(code.reason).toMatch(/^class coding \(classifier confidence [01]\.\d{3}\); 3\/4 fit; cost:/);
    const chat = s.pick(cands, { model: 'm', prompt: 'Write a short poem about the autumn rain.' }, ctx);
    expect(cands[chat.index]!.endpoint.id).toBe('cheap-chat');
  });

  it('round-robin inner cycles only through the fit endpoints', () => {
    const s = createStrategy({ name: 'classifier', params: { inner: 'round-robin' } });
    const ids = Array.from({ length: 6 }, () => cands[s.pick(cands, { model: 'm', promptClass: 'math' }, ctx).index]!.endpoint.id);
    expect(ids.sort()).toEqual(['big', 'big', 'big', 'coder-b', 'coder-b', 'coder-b']);
  });
});
