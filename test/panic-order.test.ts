import { describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { seededRandom } from '../router/core/random.js';
import { createRouter } from '../router/index.js';
import { FakeTransport, settle, threeEndpoints } from './helpers/fake-transport.js';

/**
 * Issue #21, defect 4: panic mode used to put the ejected endpoint first. With round-robin
 * and 3 endpoints, `a` dead (ejected) and `b` cooling down after one 429, panic brought `a`
 * back, and since each failover marked `c` as just used, `a` stayed "least recently picked"
 * and every request tried the dead endpoint first.
 */

describe('panic mode orders by recovery likelihood', () => {
  it('429 on one endpoint + a dead one: no request goes to the dead endpoint first', async () => {
    const clock = new ManualClock();
    let b429 = false;
    const t = new FakeTransport(clock, (ep) => {
      if (ep.id === 'a') return { kind: 'refuse' };
      if (ep.id === 'b' && b429) {
        b429 = false;
        return { kind: 'status', status: 429, retryAfterMs: 1000 };
      }
      return { kind: 'ok', latencyMs: 5 };
    });
    const router = createRouter(threeEndpoints({ health: { baseEjectionMs: 30_000 } }), { transport: t, clock, random: seededRandom(21) });
    for (let i = 0; i < 12; i++) {
      await settle(clock, router.route({ model: 'm' }));
      clock.tick(10);
    }
    expect(router.candidates().find((c) => c.endpoint.id === 'a')!.health.state).toBe('ejected');

    b429 = true; // one 429: b cools down for 1 s, so 2 of 3 are out (panic)
    const firsts: string[] = [];
    let panicPicks = 0;
    for (let i = 0; i < 40; i++) {
      const r = await settle(clock, router.route({ model: 'm' }));
      firsts.push(r.attempts[0]!.endpointId);
      if (r.trace.picks.some((p) => p.panic)) panicPicks++;
      expect(r.endpoint.id).not.toBe('a');
      clock.tick(20); // 40 requests over 0.8 s: all inside b's cooldown
    }
    expect(panicPicks).toBeGreaterThan(30); // the router was in panic ...
    expect(firsts.filter((id) => id === 'a')).toEqual([]); // ... and never tried the dead endpoint first
  });

  it('in panic with no available endpoint left, the least recently failed ejected endpoint is tried', async () => {
    const clock = new ManualClock();
    // x failed long ago, y just now; both ejected; z cools down (429). The probe of hope goes to x.
    const t = new FakeTransport(clock, (ep) => (ep.id === 'z' ? { kind: 'status', status: 429, retryAfterMs: 60_000 } : { kind: 'refuse' }));
    const cfg = {
      endpoints: [
        { id: 'y', provider: 'p', model: 'm' },
        { id: 'x', provider: 'p', model: 'm' },
        { id: 'z', provider: 'p', model: 'm' },
      ],
      strategy: 'round-robin',
      health: { consecutiveFailures: 1, baseEjectionMs: 600_000, maxEjectionMs: 600_000, maxRecoveryWaitMs: 0 },
      retry: { maxAttempts: 1 },
    };
    const router = createRouter(cfg, { transport: t, clock, random: seededRandom(1) });
    t.behave = (ep) => (ep.id === 'x' ? { kind: 'refuse' } : { kind: 'ok' });
    await settle(clock, router.route({ model: 'm' })).catch(() => null); // round-robin: y first (ok)
    await settle(clock, router.route({ model: 'm' })).catch(() => null); // x: refused -> ejected at t=0
    clock.tick(1000);
    t.behave = (ep) => (ep.id === 'z' ? { kind: 'status', status: 429, retryAfterMs: 60_000 } : { kind: 'refuse' });
    await settle(clock, router.route({ model: 'm' })).catch(() => null); // z: 429 -> cooldown
    await settle(clock, router.route({ model: 'm' })).catch(() => null); // y: refused -> ejected at t=1000
    clock.tick(10);
    const before = t.calls.length;
    await settle(clock, router.route({ model: 'm' })).catch(() => null);
    expect(t.calls.slice(before).map((c) => c.endpointId)).toEqual(['x']);
  });

  it('waiting for a recovery: a cooldown ending within the wait comes before an ejection that ends sooner (no probe of the failed endpoint)', async () => {
    const clock = new ManualClock();
    // x refuses; y answers the test request one 429 (Retry-After 1 s), else ok.
    let y429 = false;
    const t = new FakeTransport(clock, (ep) => {
      if (ep.id === 'x') return { kind: 'refuse' };
      if (y429) {
        y429 = false;
        return { kind: 'status', status: 429, retryAfterMs: 1000 };
      }
      return { kind: 'ok' };
    });
    const cfg = {
      endpoints: [
        { id: 'x', provider: 'p', model: 'm' },
        { id: 'y', provider: 'p', model: 'm' },
      ],
      strategy: 'round-robin',
      health: { consecutiveFailures: 2, baseEjectionMs: 500, panicThreshold: 1 },
      retry: { maxAttempts: 3 },
    };
    const router = createRouter(cfg, { transport: t, clock, random: seededRandom(1) });
    await settle(clock, router.route({ model: 'm' })); // x fails once, y serves
    y429 = true;
    const r = await settle(clock, router.route({ model: 'm' })); // x fails again (ejected 500 ms), y 429s (cooldown 1 s)
    expect(r.attempts.map((a) => [a.endpointId, a.startedAt])).toEqual([
      ['x', 0],
      ['y', 0],
      ['y', 1000], // waited for y's cooldown, not for x's ejection end (500) and a probe of x
    ]);
    expect(r.endpoint.id).toBe('y');
  });
});
