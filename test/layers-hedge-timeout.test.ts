import { describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { seededRandom } from '../router/core/random.js';
import { createRouter } from '../router/index.js';
import { FakeTransport, settle, threeEndpoints } from './helpers/fake-transport.js';

const two = (extra: Record<string, unknown> = {}) => ({
  endpoints: [
    { id: 'a', provider: 'pa', model: 'm' },
    { id: 'b', provider: 'pb', model: 'm' },
  ],
  ...extra,
});

describe('hedging', () => {
  it('after delayMs without a first byte a second attempt starts elsewhere; the first success wins, the loser is aborted', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, (ep) => ({ kind: 'ok', latencyMs: ep.id === 'a' ? 500 : 50 }));
    const router = createRouter(two({ hedging: { enabled: true, delayMs: 100 } }), { transport: t, clock, random: seededRandom(1) });
    const r = await settle(clock, router.route({ model: 'm' }));
    expect(r.endpoint.id).toBe('b');
    expect(clock.now()).toBe(150);
    expect(t.calls.map((c) => [c.endpointId, c.at, c.abortedAt])).toEqual([
      ['a', 0, 150], // loser aborted through its signal when b won
      ['b', 100, undefined],
    ]);
    expect(r.attempts.map((a) => [a.endpointId, a.reason, a.ok, a.errorCode])).toEqual([
      ['b', 'hedge', true, undefined],
      ['a', 'first', false, 'aborted'],
    ]);
    // the aborted loser says nothing about a's health
    expect(router.candidates('m')[0]!.stats).toMatchObject({ failures: 0, inFlight: 0 });
  });

  it('no hedge when the first attempt answers before delayMs', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'ok', latencyMs: 80 }));
    const router = createRouter(two({ hedging: { enabled: true, delayMs: 100 } }), { transport: t, clock });
    const r = await settle(clock, router.route({ model: 'm' }));
    expect(r.attempts).toHaveLength(1);
    expect(t.calls).toHaveLength(1);
    expect(clock.pending()).toBe(0); // hedge timer cancelled
  });

  it('a failing primary is not waited on: it fails over at once', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, (ep) => (ep.id === 'a' ? { kind: 'refuse', latencyMs: 10 } : { kind: 'ok', latencyMs: 10 }));
    const router = createRouter(two({ hedging: { enabled: true, delayMs: 100 } }), { transport: t, clock });
    const r = await settle(clock, router.route({ model: 'm' }));
    expect(r.attempts.map((a) => [a.endpointId, a.reason])).toEqual([
      ['a', 'first'],
      ['b', 'failover'],
    ]);
    expect(clock.now()).toBe(20);
  });
});

describe('timeouts', () => {
  it('TTFT timeout aborts a silent attempt and fails over', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, (ep) => (ep.id === 'a' ? { kind: 'hang' } : { kind: 'ok', latencyMs: 20 }));
    const router = createRouter(threeEndpoints({ timeouts: { ttftMs: 1000, totalMs: 60_000 } }), { transport: t, clock });
    const r = await settle(clock, router.route({ model: 'm' }));
    expect(r.endpoint.id).toBe('b');
    expect(r.attempts.map((a) => [a.endpointId, a.errorCode, a.endedAt])).toEqual([
      ['a', 'ttft_timeout', 1000],
      ['b', undefined, 1020],
    ]);
    expect(t.calls[0]!.abortedAt).toBe(1000);
    expect(router.candidates('m')[0]!.stats.consecutiveFailures).toBe(1); // a timeout is the endpoint's failure
  });

  it('the total deadline bounds all attempts together and fails with timeout (504)', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'hang' }));
    const router = createRouter(threeEndpoints({ timeouts: { ttftMs: 1000, totalMs: 60_000 } }), { transport: t, clock });
    const e = await settle(clock, router.route({ model: 'm', deadlineMs: 2500 })).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'timeout', status: 504 });
    expect(clock.now()).toBe(2500);
    expect(t.calls.map((c) => [c.endpointId, c.at, c.abortedAt])).toEqual([
      ['a', 0, 1000],
      ['b', 1000, 2000],
      ['c', 2000, 2500],
    ]);
  });

  it('a caller abort ends the request with aborted and does not count against the endpoint', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'ok', latencyMs: 1000 }));
    const router = createRouter(threeEndpoints(), { transport: t, clock });
    const ac = new AbortController();
    const p = router.route({ model: 'm' }, { signal: ac.signal });
    clock.setTimeout(() => ac.abort(), 300);
    await expect(settle(clock, p)).rejects.toMatchObject({ code: 'aborted' });
    expect(t.calls).toHaveLength(1);
    expect(t.calls[0]!.abortedAt).toBe(300);
    expect(router.candidates('m')[0]!.stats).toMatchObject({ failures: 0, inFlight: 0 });
  });
});
