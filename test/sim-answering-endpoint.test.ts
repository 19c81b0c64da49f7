import { describe, expect, it } from 'vitest';
import { runSim } from '../simulator/run.js';
import { parseProfile } from '../simulator/profile.js';
import { baseProfile, noFail } from './sim-profile-fixtures.js';

/**
 * A simulated request's endpoint is the one that answered it, as the proxy's x-endpoint header
 * says over http: when a primary wins its race against a hedge sent after it, the request was
 * reported under the hedge's endpoint (the last one tried), which moved provider shares.
 */
describe('sim: the endpoint a request reports', () => {
  it('is the endpoint that answered, not the last one tried, when hedges race', async () => {
    // a answers in ~300 ms, b in ~2 s; every try is hedged after 100 ms, so a wins every race.
    const a = parseProfile(baseProfile({ ...noFail, id: 'a', ttft: { medianMs: 300, sigma: 0.01 }, capacity: { maxConcurrent: 500, queue: 500 } }), 'a');
    const b = parseProfile(baseProfile({ ...noFail, id: 'b', ttft: { medianMs: 2000, sigma: 0.01 }, capacity: { maxConcurrent: 500, queue: 500 } }), 'b');
    const seen: Array<{ endpointId: string | undefined; attempts: number; ok: boolean }> = [];
    await runSim({
      router: {
        endpoints: [a, b].map((p) => ({ id: p.id, provider: p.id, model: 'chat', price: p.price })),
        strategy: 'round-robin',
        hedging: { enabled: true, mode: 'fixed', delayMs: 100 },
        retry: { budgetRatio: 1, budgetMinPerSecond: 1000 },
      },
      providers: [a, b].map((p) => ({ id: p.id, profile: p })),
      workload: { arrivals: 'poisson', rate: 10, durationS: 10, mix: [{ class: 'general', weight: 1, inputTokens: { median: 100, sigma: 0.1 }, outputTokens: { median: 10, sigma: 0.1 } }] },
      seed: 3,
      oracle: false,
      onRequest: (r) => seen.push({ endpointId: r.endpointId, attempts: r.attempts, ok: r.ok }),
    });
    const raced = seen.filter((r) => r.ok && r.attempts === 2);
    expect(raced.length).toBeGreaterThan(30);
    // Half of them started on a and hedged to b: before, those reported b.
    expect(raced.every((r) => r.endpointId === 'a')).toBe(true);
  });
});
