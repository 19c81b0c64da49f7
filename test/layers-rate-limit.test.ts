import { describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { createRouter } from '../router/index.js';
import { TokenBucket } from '../router/core/rate-limit.js';
import { FakeTransport, settle } from './helpers/fake-transport.js';

describe('rate-limit admission', () => {
  it('token bucket: capacity per minute, continuous refill', () => {
    const b = new TokenBucket(60, 0); // 1 token per second
    b.take(60, 0);
    expect(b.waitMs(1, 0)).toBeCloseTo(1000, 6);
    expect(b.waitMs(1, 500)).toBeCloseTo(500, 6);
    expect(b.waitMs(1, 1000)).toBe(0);
    expect(b.waitMs(1000, 1000)).toBeCloseTo(59_000, 6); // larger than the bucket: waits for a full bucket
  });

  it('RPM: an endpoint without tokens is skipped like a cooling one', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'ok' }));
    const router = createRouter(
      {
        endpoints: [
          { id: 'limited', provider: 'p1', model: 'm', limits: { rpm: 2 } },
          { id: 'free', provider: 'p2', model: 'm' },
        ],
      },
      { transport: t, clock },
    );
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await router.route({ model: 'm' })).endpoint.id);
    expect(ids.filter((x) => x === 'limited')).toHaveLength(2);
    clock.tick(30_000); // one RPM token back
    const more: string[] = [];
    for (let i = 0; i < 4; i++) more.push((await router.route({ model: 'm' })).endpoint.id);
    expect(more.filter((x) => x === 'limited')).toHaveLength(1);
  });

  it('RPM on the only endpoint: wait for a token within the deadline, else fail fast', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'ok' }));
    const router = createRouter({ endpoints: [{ id: 'x', provider: 'p', model: 'm', limits: { rpm: 60 } }] }, { transport: t, clock });
    for (let i = 0; i < 60; i++) await router.route({ model: 'm' });
    await expect(router.route({ model: 'm', deadlineMs: 500 })).rejects.toMatchObject({ code: 'no_healthy_endpoint', retryAfterMs: 1000 });
    const r = await settle(clock, router.route({ model: 'm', deadlineMs: 5000 }));
    expect(r.attempts[0]!.startedAt).toBeCloseTo(1000, 3);
  });

  it('TPM: admission by estimated tokens (input + maxTokens), corrected by the real usage', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'ok', usage: { inputTokens: 100, outputTokens: 0 } }));
    const router = createRouter(
      {
        endpoints: [
          { id: 'limited', provider: 'p1', model: 'm', limits: { tpm: 1000 } },
          { id: 'free', provider: 'p2', model: 'm', priority: 1 },
        ],
        strategy: 'priority',
      },
      { transport: t, clock },
    );
    const req = { model: 'm', inputTokens: 400, maxTokens: 200 }; // estimate 600
    // Each request needs 600 free, reserves them, and gives back 500 once usage (100) is known:
    // before request k+1, 1000 - 100k are free, so 5 fit (without the refund only 1 would).
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await router.route(req)).endpoint.id);
    expect(ids).toEqual(['limited', 'limited', 'limited', 'limited', 'limited', 'free']);
    clock.tick(6_000); // +100 tokens (1000 per minute)
    expect((await router.route(req)).endpoint.id).toBe('limited');
  });
});
