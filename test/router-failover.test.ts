import { describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { seededRandom } from '../router/core/random.js';
import { createRouter } from '../router/index.js';
import { FakeTransport, settle, threeEndpoints } from './helpers/fake-transport.js';

describe('createRouter failover', () => {
  it('10,000 requests with 1 of 3 endpoints refusing connections: 0 client-visible failures (round-robin)', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, (ep) => (ep.id === 'b' ? { kind: 'refuse' } : { kind: 'ok' }));
    const router = createRouter(threeEndpoints(), { transport: t, clock, random: seededRandom(1) });
    let failures = 0;
    let attempts = 0;
    for (let i = 0; i < 10_000; i++) {
      const r = await router.route({ model: 'm' }).catch(() => null);
      if (r === null) failures++;
      else attempts += r.attempts.length;
      clock.tick(1); // one request per virtual millisecond
    }
    expect(failures).toBe(0);
    // b is ejected after 5 consecutive failures, then only probed (ejection 5 s, 10 s, 20 s, ...).
    expect(t.count('b')).toBeLessThan(20);
    expect(attempts).toBeLessThan(10_020);
    expect(t.count('a') + t.count('c')).toBe(10_000);
  });

  it('fails over immediately (no backoff) to an untried endpoint, and traces why', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, (ep) => (ep.id === 'a' ? { kind: 'status', status: 500 } : { kind: 'ok' }));
    const router = createRouter(threeEndpoints(), { transport: t, clock, random: seededRandom(1) });
    const r = await router.route({ model: 'm', id: 'req-1' });
    expect(clock.now()).toBe(0);
    expect(r.endpoint.id).toBe('b');
    expect(r.attempts.map((a) => [a.endpointId, a.reason, a.ok, a.errorCode])).toEqual([
      ['a', 'first', false, 'upstream_error'],
      ['b', 'failover', true, undefined],
    ]);
    expect(r.trace.requestId).toBe('req-1');
    expect(r.trace.strategy).toBe('round-robin');
    expect(r.trace.picks).toHaveLength(2);
    expect(r.trace.picks[0]!.candidates.map((c) => c.id)).toEqual(['a', 'b', 'c']);
    expect(r.trace.picks[1]!.candidates.map((c) => c.id)).toEqual(['b', 'c']); // a excluded: already tried
    expect(r.trace.picks[1]!.picked).toBe('b');
    expect(r.trace.picks[0]!.panic).toBe(false);
  });

  it('backs off (full jitter, on the clock) only when re-trying an endpoint already tried', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const t = new FakeTransport(clock, () => (++calls <= 2 ? { kind: 'status', status: 502 } : { kind: 'ok' }));
    const router = createRouter(
      { endpoints: [{ id: 'x', provider: 'p', model: 'm' }], retry: { backoffBaseMs: 100, backoffMaxMs: 1000 } },
      { transport: t, clock, random: seededRandom(7) },
    );
    const r = await settle(clock, router.route({ model: 'm' }));
    expect(r.attempts.map((a) => a.reason)).toEqual(['first', 'retry', 'retry']);
    const gap1 = r.attempts[1]!.startedAt - r.attempts[0]!.endedAt;
    const gap2 = r.attempts[2]!.startedAt - r.attempts[1]!.endedAt;
    expect(gap1).toBeGreaterThan(0);
    expect(gap1).toBeLessThan(100); // U[0,1) * 100 * 2^0
    expect(gap2).toBeLessThan(200); // U[0,1) * 100 * 2^1
  });

  it('walks the model fallback list (request list and config.fallbacks)', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, (ep) => (ep.model === 'big' ? { kind: 'status', status: 503 } : { kind: 'ok' }));
    const cfg = {
      endpoints: [
        { id: 'big-1', provider: 'p1', model: 'big' },
        { id: 'big-2', provider: 'p2', model: 'big' },
        { id: 'small-1', provider: 'p3', model: 'small' },
      ],
      fallbacks: { big: ['small'] },
    };
    const router = createRouter(cfg, { transport: t, clock, random: seededRandom(1) });
    const r = await router.route({ model: 'big' });
    expect(r.model).toBe('small');
    expect(r.attempts.map((a) => [a.endpointId, a.reason])).toEqual([
      ['big-1', 'first'],
      ['big-2', 'failover'],
      ['small-1', 'fallback-model'],
    ]);
    // An explicit list in the request: big is now cooling down (503), so small is used at once.
    const r2 = await router.route({ model: ['big', 'small'] });
    expect(r2.attempts.map((a) => [a.endpointId, a.reason])).toEqual([['small-1', 'fallback-model']]);
  });

  it('returns non-retryable errors at once (client 4xx) and maxAttempts bounds every attempt', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, (ep) => (ep.id === 'a' ? { kind: 'status', status: 400 } : { kind: 'status', status: 500 }));
    const router = createRouter(threeEndpoints({ retry: { maxAttempts: 2 } }), { transport: t, clock, random: seededRandom(1) });
    await expect(router.route({ model: 'm' })).rejects.toMatchObject({ code: 'upstream_client_error', status: 400 });
    expect(t.calls).toHaveLength(1);
    const e = await settle(clock, router.route({ model: 'm' })).catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'RouterError', code: 'upstream_error' });
    expect(t.calls).toHaveLength(3); // 1 + maxAttempts 2
    // A client 4xx says nothing about the endpoint: a stays healthy.
    expect(router.candidates('m').find((c) => c.endpoint.id === 'a')!.stats.consecutiveFailures).toBe(0);
  });

  it('unknown model and invalid request reject with clear errors', async () => {
    const clock = new ManualClock();
    const router = createRouter(threeEndpoints(), { transport: new FakeTransport(clock, () => ({ kind: 'ok' })), clock });
    await expect(router.route({ model: 'nope' })).rejects.toMatchObject({ code: 'unknown_model', message: expect.stringContaining('known models: m') });
    await expect(router.route({ model: [] })).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringContaining('request.model') });
    expect(router.models()).toEqual(['m']);
  });
});
