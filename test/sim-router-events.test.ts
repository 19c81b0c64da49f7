import { describe, expect, it } from 'vitest';
import type { RouterEvent } from '../router/core/events.js';
import { parseProfile } from '../simulator/profile.js';
import { runSim, type RequestOutcome, type SimRunInput } from '../simulator/run.js';

/** Two hosts, one failing 10% of requests (429s with Retry-After among them), so attempts, retries and cooldowns all occur. */
function input(onRequest: (o: RequestOutcome) => void, onRouterEvent?: (e: RouterEvent) => void): SimRunInput {
  const profile = (id: string, baseErrorRate: number) =>
    parseProfile(
      {
        id,
        model: 'm',
        ttft: { medianMs: 300, sigma: 0.5 },
        throughput: { tokensPerSecond: 80, jitter: 0.2 },
        capacity: { maxConcurrent: 20, queue: 20, fullStatus: 429, slowdown: 1 },
        failures: { baseErrorRate, kinds: { http_500: 1, rate_limited_429: 1, reset: 1 }, retryAfterMs: 1000 },
        price: { input: 1, output: 2 },
        quality: { coding: 0.8, math: 0.7, reasoning: 0.7, writing: 0.9, general: 0.9 },
      },
      `test profile ${id}`,
    );
  const a = profile('a', 0.1);
  const b = profile('b', 0.01);
  return {
    router: {
      endpoints: [
        { id: 'a', provider: 'a', model: 'chat', price: a.price },
        { id: 'b', provider: 'b', model: 'chat', price: b.price },
      ],
      strategy: 'adaptive',
      timeouts: { ttftMs: 2000, totalMs: 6000 },
    },
    providers: [
      { id: 'a', profile: a },
      { id: 'b', profile: b },
    ],
    workload: { arrivals: 'poisson', rate: 30, durationS: 10, stream: 0.4, mix: [{ class: 'general', inputTokens: { median: 200 }, outputTokens: { median: 60 } }] },
    seed: 3,
    oracle: false,
    onRequest,
    ...(onRouterEvent ? { onRouterEvent: (_replica: number, e: RouterEvent) => onRouterEvent(e) } : {}),
  };
}

describe('sim: router events (SimRunInput.onRouterEvent, scripts/attempt-trace.ts)', () => {
  it('listening changes no outcome, and every attempt and failed request is reported', async () => {
    const plain: string[] = [];
    const before = await runSim(input((o) => plain.push(JSON.stringify(o))));
    const heard: string[] = [];
    const events: RouterEvent[] = [];
    const after = await runSim(input((o) => heard.push(JSON.stringify(o)), (e) => events.push(e)));
    expect(heard).toEqual(plain);
    expect(JSON.stringify(after.result)).toBe(JSON.stringify(before.result));
    const outcomes = heard.map((l) => JSON.parse(l) as RequestOutcome);
    const count = (t: RouterEvent['type']): number => events.filter((e) => e.type === t).length;
    expect(count('attempt-start')).toBe(outcomes.reduce((s, o) => s + o.attempts, 0));
    expect(count('request-end')).toBe(outcomes.length);
    expect(events.filter((e) => e.type === 'request-end' && !e.ok).length).toBe(outcomes.filter((o) => !o.ok).length);
    // Retries and 429 cooldowns happened, so the trace has something to show.
    expect(count('retry')).toBeGreaterThan(5);
    expect(events.some((e) => e.type === 'health' && e.to === 'cooldown')).toBe(true);
  });
});
