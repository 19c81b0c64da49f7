import { describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { seededRandom } from '../router/core/random.js';
import { createRouter } from '../router/index.js';
import { fullJitterBackoff } from '../router/request/retry.js';
import { RetryBudget } from '../router/request/retry-budget.js';
import { FakeTransport, settle, threeEndpoints } from './helpers/fake-transport.js';

describe('retry budget', () => {
  it('allows ratio * requests + minPerSecond * window retries in the sliding window', () => {
    const b = new RetryBudget(0.2, 1, 10_000); // reserve: 1/s * 10 s = 10
    for (let i = 0; i < 100; i++) b.onRequest(0);
    let granted = 0;
    while (b.tryRetry(0)) granted++;
    expect(granted).toBe(30); // 0.2 * 100 + 10
    // the window slides: after 10 s the old requests and retries are forgotten
    expect(b.remaining(10_000)).toBe(10);
  });

  it('refund gives back a retry taken in the current bucket, and never more than were taken', () => {
    const b = new RetryBudget(0.2, 0, 10_000);
    for (let i = 0; i < 10; i++) b.onRequest(0);
    expect(b.tryRetry(500)).toBe(true);
    expect(b.remaining(500)).toBeCloseTo(1);
    b.refund(500);
    expect(b.remaining(500)).toBeCloseTo(2);
    b.refund(500); // nothing taken in this bucket any more: no-op
    expect(b.remaining(500)).toBeCloseTo(2);
  });

  it('caps retries under a 100% failure storm (no health ejection, so every request would retry 3x)', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'status', status: 500 }));
    const cfg = threeEndpoints({
      health: { consecutiveFailures: 1_000_000, errorRate: { threshold: 1, minRequests: 1_000_000 }, defaultCooldownMs: 0 },
      retry: { maxAttempts: 4, budgetRatio: 0.2, budgetMinPerSecond: 0, budgetWindowMs: 10_000 },
    });
    const router = createRouter(cfg, { transport: t, clock, random: seededRandom(1) });
    const N = 1000;
    let last: unknown;
    for (let i = 0; i < N; i++) {
      last = await settle(clock, router.route({ model: 'm' })).catch((e: unknown) => e);
      clock.tick(10); // 1000 requests over 10 s: one window
    }
    const retries = t.calls.length - N;
    expect(retries).toBeLessThanOrEqual(0.2 * N);
    expect(retries).toBeGreaterThanOrEqual(0.2 * N - 5); // the budget is used, not starved
    expect(last).toMatchObject({ code: 'upstream_error' }); // exhausted: the last error surfaces
  });

  it('full-jitter backoff stays within [0, min(max, base * 2^(n-1)))', () => {
    const r = seededRandom(42);
    for (let n = 1; n <= 8; n++)
      for (let i = 0; i < 200; i++) {
        const d = fullJitterBackoff(r, n, 25, 1000);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.min(1000, 25 * 2 ** (n - 1)));
      }
  });
});
