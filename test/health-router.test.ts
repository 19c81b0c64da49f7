import { describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import type { RouterEvent } from '../router/core/events.js';
import { seededRandom } from '../router/core/random.js';
import { createRouter } from '../router/index.js';
import { FakeTransport, settle, threeEndpoints } from './helpers/fake-transport.js';

const one = (extra: Record<string, unknown> = {}) => ({ endpoints: [{ id: 'x', provider: 'p', model: 'm' }], ...extra });

describe('health through createRouter', () => {
  it('honours Retry-After (field or header) as a cooldown: other endpoints take the traffic until it ends', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, (ep, _req, n) =>
      ep.id === 'a' && n === 0 ? { kind: 'status', status: 429, headers: { 'retry-after': '2' } } : { kind: 'ok' },
    );
    const router = createRouter(threeEndpoints(), { transport: t, clock, random: seededRandom(1) });
    const r = await router.route({ model: 'm' });
    expect(r.attempts.map((a) => [a.endpointId, a.errorCode])).toEqual([['a', 'upstream_rate_limited'], ['b', undefined]]);
    expect(router.candidates('m')[0]!.health).toMatchObject({ state: 'cooldown', until: 2000 });
    for (let i = 0; i < 10; i++) {
      clock.tick(150);
      expect((await router.route({ model: 'm' })).endpoint.id).not.toBe('a');
    }
    clock.tick(2000);
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) ids.add((await router.route({ model: 'm' })).endpoint.id);
    expect(ids.has('a')).toBe(true);
  });

  it('a 503 without Retry-After cools down for defaultCooldownMs', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, (ep) => (ep.id === 'a' ? { kind: 'status', status: 503 } : { kind: 'ok' }));
    const router = createRouter(threeEndpoints({ health: { defaultCooldownMs: 700 } }), { transport: t, clock, random: seededRandom(1) });
    await router.route({ model: 'm' });
    expect(router.candidates('m')[0]!.health).toMatchObject({ state: 'cooldown', until: 700 });
  });

  it('panic mode: when more than panicThreshold of the endpoints is ejected, ejected ones are usable again, after every available one (and traced)', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, (ep) => (ep.id === 'c' ? { kind: 'ok' } : { kind: 'status', status: 500 }));
    const events: RouterEvent[] = [];
    const router = createRouter(threeEndpoints({ health: { consecutiveFailures: 1, panicThreshold: 0.5 } }), {
      transport: t,
      clock,
      random: seededRandom(1),
    });
    router.on((e) => events.push(e));
    const r1 = await router.route({ model: 'm' }); // a fails (1/3 ejected), b fails (2/3 ejected), c ok
    expect(r1.attempts.map((a) => a.endpointId)).toEqual(['a', 'b', 'c']);
    expect(r1.trace.picks.map((p) => p.panic)).toEqual([false, false, true]);
    const r2 = await router.route({ model: 'm' });
    expect(r2.trace.picks[0]!.panic).toBe(true);
    // By recovery likelihood (issue #21): the ejected a and b only once c was tried.
    expect(r2.trace.picks[0]!.candidates.map((c) => [c.id, c.health])).toEqual([['c', 'healthy']]);
    expect(events.some((e) => e.type === 'panic' && e.unavailable === 2 && e.total === 3)).toBe(true);
    expect(events.filter((e) => e.type === 'health').map((e) => e.type === 'health' && `${e.endpointId}:${e.to}`)).toEqual([
      'a:ejected',
      'b:ejected',
    ]);
  });

  it('panic mode never sends a request back to an ejected endpoint it already failed on (it waits for a cooled-down one instead)', async () => {
    // a is down (refuses) and ejected; b is healthy but answers one 503 + Retry-After 1 s.
    // Then nothing is available: panic lets the request try the ejected a once. Before the
    // fix every later retry went back to the dead a too (the only panic-usable endpoint)
    // until maxAttempts, a client-visible connect_failed; now it waits for b's cooldown.
    const clock = new ManualClock();
    let bBusy = false;
    const t = new FakeTransport(clock, (ep) => {
      if (ep.id === 'a') return { kind: 'refuse' };
      if (!bBusy) return { kind: 'ok' };
      bBusy = false;
      return { kind: 'status', status: 503, retryAfterMs: 1000 };
    });
    const cfg = {
      endpoints: [
        { id: 'a', provider: 'pa', model: 'm', priority: 0 },
        { id: 'b', provider: 'pb', model: 'm', priority: 1 },
      ],
      strategy: 'priority',
      health: { consecutiveFailures: 2, baseEjectionMs: 60_000, panicThreshold: 0.5 },
    };
    const router = createRouter(cfg, { transport: t, clock, random: seededRandom(1) });
    for (let i = 0; i < 2; i++) expect((await router.route({ model: 'm' })).attempts.map((x) => x.endpointId)).toEqual(['a', 'b']);
    expect(router.candidates('m')[0]!.health.state).toBe('ejected');
    bBusy = true;
    const r = await settle(clock, router.route({ model: 'm', deadlineMs: 5000 }));
    expect(r.attempts.map((x) => [x.endpointId, x.errorCode])).toEqual([
      ['b', 'upstream_error'],
      ['a', 'connect_failed'],
      ['b', undefined],
    ]);
    expect(r.attempts[2]!.startedAt).toBeGreaterThanOrEqual(1000); // waited for b's cooldown
  });

  it('a lone endpoint that failed and was ejected: the request waits for its ejection to end and probes it (within the deadline)', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const t = new FakeTransport(clock, () => (calls++ < 2 ? { kind: 'refuse' } : { kind: 'ok' }));
    const router = createRouter(one({ health: { consecutiveFailures: 1, baseEjectionMs: 1000, panicThreshold: 0.5 } }), {
      transport: t,
      clock,
      random: seededRandom(1),
    });
    const r = await settle(clock, router.route({ model: 'm', deadlineMs: 10_000 }));
    expect(r.attempts.map((a) => [a.ok, a.startedAt])).toEqual([
      [false, 0],
      [false, 1000], // ejected for 1 s, then probed
      [true, 3000], // ejected again for 2 s (doubling), then probed
    ]);
  });

  it('panicThreshold 1 disables panic: ejected endpoints are skipped', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, (ep) => (ep.id === 'c' ? { kind: 'ok' } : { kind: 'status', status: 500 }));
    const router = createRouter(threeEndpoints({ health: { consecutiveFailures: 1, panicThreshold: 1 } }), { transport: t, clock });
    await router.route({ model: 'm' });
    for (let i = 0; i < 5; i++) {
      const r = await router.route({ model: 'm' });
      expect(r.attempts.map((a) => a.endpointId)).toEqual(['c']);
      expect(r.trace.picks[0]!.candidates.map((c) => c.id)).toEqual(['c']);
    }
  });

  it('wait for recovery: every candidate cooling down, the earliest recovery within the deadline -> sleep and succeed', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, (_ep, _req, n) => (n === 0 ? { kind: 'status', status: 429, retryAfterMs: 1000 } : { kind: 'ok' }));
    const router = createRouter(one(), { transport: t, clock, random: seededRandom(3) });
    const r = await settle(clock, router.route({ model: 'm', deadlineMs: 5000 }));
    expect(r.attempts.map((a) => [a.ok, a.startedAt])).toEqual([
      [false, 0],
      [true, 1000],
    ]);
  });

  it('fail fast with no_healthy_endpoint (503, retryAfterMs) when the earliest recovery is beyond the deadline', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'status', status: 429, retryAfterMs: 10_000 }));
    const router = createRouter(one(), { transport: t, clock, random: seededRandom(3) });
    const e = await settle(clock, router.route({ model: 'm', deadlineMs: 5000 })).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'no_healthy_endpoint', status: 503 });
    expect((e as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(9000);
    expect(clock.now()).toBeLessThan(100); // did not sleep
    expect(t.calls).toHaveLength(1);
    // waitForRecovery off: fail fast even when the recovery is near
    const clock2 = new ManualClock();
    const t2 = new FakeTransport(clock2, (_ep, _req, n) => (n === 0 ? { kind: 'status', status: 429, retryAfterMs: 500 } : { kind: 'ok' }));
    const r2 = createRouter(one({ health: { waitForRecovery: false } }), { transport: t2, clock: clock2, random: seededRandom(3) });
    const e2 = await settle(clock2, r2.route({ model: 'm' })).catch((x: unknown) => x);
    expect(e2).toMatchObject({ code: 'no_healthy_endpoint' });
    // 500 ms minus the (jittered, < 25 ms) backoff already spent
    expect((e2 as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(470);
    expect((e2 as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(500);
  });

  it('never waits longer than health.maxRecoveryWaitMs: every endpoint ejected for 30 s fails fast with 503 + retryAfterMs', async () => {
    const clock = new ManualClock();
    let down = true;
    const t = new FakeTransport(clock, () => (down ? { kind: 'refuse' } : { kind: 'ok' }));
    const cfg = one({ health: { consecutiveFailures: 1, baseEjectionMs: 30_000, maxRecoveryWaitMs: 10_000, panicThreshold: 1 }, retry: { maxAttempts: 1 } });
    const router = createRouter(cfg, { transport: t, clock, random: seededRandom(3) });
    await settle(clock, router.route({ model: 'm' })).catch(() => undefined); // ejects x for 30 s
    expect(router.candidates('m')[0]!.health.state).toBe('ejected');
    const at = clock.now();
    const e = await settle(clock, router.route({ model: 'm' })).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'no_healthy_endpoint', status: 503 });
    expect(clock.now()).toBe(at); // did not wait
    expect((e as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(29_000);
    // Within the cap it still waits for the recovery (and the probe succeeds).
    clock.tick(25_000);
    down = false;
    const r = await settle(clock, router.route({ model: 'm' }));
    expect(r.endpoint.id).toBe('x');
    expect(clock.now()).toBeGreaterThanOrEqual(at + 30_000);
  });

  it('health.maxRecoveryWaitMs bounds the waiting of a request in all, not each wait', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'status', status: 429, retryAfterMs: 4000 }));
    const cfg = one({ health: { maxRecoveryWaitMs: 10_000, panicThreshold: 1 }, retry: { maxAttempts: 20, budgetRatio: 1 } });
    const router = createRouter(cfg, { transport: t, clock, random: seededRandom(3) });
    const e = await settle(clock, router.route({ model: 'm' })).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'no_healthy_endpoint' });
    // Two 4 s waits fit in 10 s, a third does not: 3 attempts, about 8 s (plus backoff jitter), not 20 attempts.
    expect(t.calls).toHaveLength(3);
    expect(clock.now()).toBeLessThan(10_000);
  });

  it('a body JSON cannot encode fails as invalid_request (400) and is not held against the endpoints', async () => {
    const router = createRouter(
      { endpoints: ['a', 'b'].map((id) => ({ id, provider: 'p', model: 'm', baseUrl: 'http://127.0.0.1:9/v1' })), health: { consecutiveFailures: 1 } },
      { random: seededRandom(1) },
    );
    const body: Record<string, unknown> = { model: 'm', messages: [{ role: 'user', content: 'x' }] };
    body.self = body; // a cycle
    for (let i = 0; i < 3; i++) {
      const e = await router.route({ model: 'm', body }).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'invalid_request', status: 400, retryable: false });
      expect((e as { attempts: unknown[] }).attempts).toHaveLength(1);
    }
    expect(router.candidates('m').map((c) => [c.health.state, c.stats.consecutiveFailures])).toEqual([
      ['healthy', 0],
      ['healthy', 0],
    ]);
    router.close();
  });

  it('active health checks on the clock eject a failing endpoint and revive it; close() stops them', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'ok' }));
    let bUp = false;
    t.checkResult = (ep) => ep.id !== 'b' || bUp;
    const router = createRouter(threeEndpoints({ health: { consecutiveFailures: 3, activeCheck: { intervalMs: 1000, timeoutMs: 100 } } }), {
      transport: t,
      clock,
    });
    await clock.advance(3000);
    expect(t.checks).toBe(9);
    expect(router.candidates('m').map((c) => c.health.state)).toEqual(['healthy', 'ejected', 'healthy']);
    bUp = true;
    await clock.advance(1000);
    expect(router.candidates('m')[1]!.health).toMatchObject({ state: 'healthy', slowStart: 0.1 });
    // a hanging check times out and counts as a failure
    t.checkResult = (ep) => (ep.id === 'c' ? 'hang' : true);
    await clock.advance(3000 + 100);
    expect(router.candidates('m')[2]!.health.state).toBe('ejected');
    router.close();
    expect(clock.pending()).toBe(0);
  });

  it('after the ejection time the next attempt on the endpoint is a probe (traced as such); success revives it', async () => {
    const clock = new ManualClock();
    let aUp = false;
    const t = new FakeTransport(clock, (ep) => (ep.id === 'a' && !aUp ? { kind: 'refuse' } : { kind: 'ok' }));
    const router = createRouter(threeEndpoints({ health: { consecutiveFailures: 2, baseEjectionMs: 1000 } }), { transport: t, clock });
    for (let i = 0; i < 6; i++) await router.route({ model: 'm' });
    expect(router.candidates('m')[0]!.health).toMatchObject({ state: 'ejected', until: 0 + 1000 });
    clock.tick(1000);
    aUp = true;
    expect(router.candidates('m')[0]!.health.state).toBe('half-open');
    const r = await router.route({ model: 'm' });
    expect(r.attempts.map((a) => [a.endpointId, a.reason, a.ok])).toEqual([['a', 'probe', true]]);
    expect(router.candidates('m')[0]!.health).toMatchObject({ state: 'healthy', slowStart: 0.1, ejections: 1 });
  });

  it('same seed, same decisions: two routers with a random strategy pick identically', async () => {
    const picks = async (seed: number): Promise<string[]> => {
      const clock = new ManualClock();
      const router = createRouter(threeEndpoints({ strategy: 'random' }), {
        transport: new FakeTransport(clock, () => ({ kind: 'ok' })),
        clock,
        random: seededRandom(seed),
      });
      const out: string[] = [];
      for (let i = 0; i < 50; i++) out.push((await router.route({ model: 'm' })).endpoint.id);
      return out;
    };
    expect(await picks(9)).toEqual(await picks(9));
    expect(await picks(9)).not.toEqual(await picks(10));
  });
});
