import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStrategy, registerStrategy, strategyNames } from '../router/core/strategy.js';
import { seededRandom } from '../router/core/random.js';
import { endpointSchema, normalizeEndpoint } from '../router/core/config.js';
import type { Candidate, StatsSnapshot } from '../router/core/types.js';
import '../router/strategies/classifier.js';

// This file runs in its own process (vitest forks): only the strategies registered here exist.
const stats = { inFlight: 0, requests: 0, successes: 0, failures: 0, latencyMs: null, ttftMs: null, successRate: null,
  windowRequests: 0, consecutiveFailures: 0, recentLatenciesMs: [], lastFailureAt: null, lastSuccessAt: null,
  inputTokens: 0, outputTokens: 0, costUsd: 0 } satisfies StatsSnapshot;
const cands: Candidate[] = ['a', 'b'].map((id) => ({
  endpoint: normalizeEndpoint(endpointSchema.parse({ id, provider: 'p', model: 'm' })),
  stats,
  health: { state: 'healthy', available: true, until: null, ejections: 0, slowStart: 1 },
}));
const fake = (name: string) =>
  registerStrategy({ name, optimises: 'test', needs: 'test', params: z.strictObject({}), create: () => ({ name, pick: () => ({ index: 0, reason: `fake ${name}` }) }) });

describe('classifier strategy default inner', () => {
  it("uses 'round-robin' when 'cost' is not registered, and 'cost' once it is", () => {
    expect(strategyNames()).toEqual(['classifier']);
    expect(() => createStrategy('classifier')).toThrow(/unknown strategy "round-robin"; valid strategies: classifier/);
    fake('round-robin');
    const rr = createStrategy('classifier').pick(cands, { model: 'm', promptClass: 'coding' }, { now: 0, random: seededRandom(1) });
    expect(rr.reason).toMatch(/round-robin: fake round-robin$/);
    fake('cost');
    const cost = createStrategy('classifier').pick(cands, { model: 'm', promptClass: 'coding' }, { now: 0, random: seededRandom(1) });
    expect(cost.reason).toMatch(/cost: fake cost$/);
  });
});
