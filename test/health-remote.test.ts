import { describe, expect, it } from 'vitest';
import { healthSchema, statsSchema } from '../router/core/config.js';
import { EndpointHealth } from '../router/health/breaker.js';

/**
 * What another replica's health reports do to this replica's breaker (shared state,
 * router/store): an ejection arrives as a soft ejection that this replica probes itself,
 * a recovery ends ejections older than it. Times are plain numbers (ms).
 */
const stats = statsSchema.parse({});
const make = (): EndpointHealth =>
  new EndpointHealth(healthSchema.parse({ consecutiveFailures: 2, baseEjectionMs: 1000, maxEjectionMs: 8000, halfOpenProbes: 1, slowStartMs: 0 }), stats);
const fail = (h: EndpointHealth, now: number): void => h.endAttempt(now, h.beginAttempt(now), false, true);

describe('EndpointHealth: remote ejections and recoveries', () => {
  it('a remote ejection is an ejection (not a cooldown), does not count towards local backoff, and ends in a local probe', () => {
    const h = make();
    h.remoteEject(0, 5000);
    expect(h.snapshot(0)).toMatchObject({ state: 'ejected', available: false, until: 5000, ejections: 0 });
    expect(h.cooldownEnd(0)).toBeNull(); // panic mode may override it (select.ts treats only cooldowns as hard)
    h.remoteEject(1, 3000); // never shortens
    expect(h.ejectionEnd()).toBe(5000);
    expect(h.isHalfOpen(5000)).toBe(true);
    expect(h.beginAttempt(5000)).toBe(true); // this replica's own probe
    h.endAttempt(5100, true, false, true); // fails: its own first ejection, base time
    expect(h.snapshot(5100)).toMatchObject({ state: 'ejected', until: 6100, ejections: 1 });
  });

  it('a remote recovery ends a remote ejection, and a local one that began before it, never a later one', () => {
    const remote = make();
    remote.remoteEject(0, 5000);
    remote.remoteRecovered(10, -100); // the other replica's clock said earlier: a remote ejection ends anyway
    expect(remote.state(10)).toBe('healthy');

    const older = make();
    fail(older, 0);
    fail(older, 1); // ejected at 1
    older.remoteRecovered(50, 40);
    expect(older.state(50)).toBe('healthy');
    expect(older.lastRecovery()).toBe(50);

    const newer = make();
    fail(newer, 100);
    fail(newer, 101); // ejected at 101, after the recovery at 40
    newer.remoteRecovered(120, 40);
    expect(newer.state(120)).toBe('ejected');
  });

  it('a remote recovery leaves an upstream cooldown in force', () => {
    const h = make();
    h.cooldown(0, 2000);
    h.remoteRecovered(10, 5);
    expect(h.state(10)).toBe('cooldown');
    expect(h.cooldownEnd(10)).toBe(2000);
  });
});
