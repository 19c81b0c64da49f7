import { describe, expect, it } from 'vitest';
import { healthSchema, statsSchema } from '../router/core/config.js';
import { EndpointHealth } from '../router/health/breaker.js';
import { slowStartFactor } from '../router/health/slow-start.js';

const stats = statsSchema.parse({});
function make(over: Record<string, unknown> = {}): { h: EndpointHealth; transitions: string[] } {
  const transitions: string[] = [];
  const cfg = healthSchema.parse({ consecutiveFailures: 3, baseEjectionMs: 1000, maxEjectionMs: 5000, halfOpenProbes: 2, slowStartMs: 1000, ...over });
  const h = new EndpointHealth(cfg, stats, (from, to, at) => transitions.push(`${at}:${from}->${to}`));
  return { h, transitions };
}
/** One failed (endpoint-attributable) non-probe attempt. */
const fail = (h: EndpointHealth, now: number): void => h.endAttempt(now, h.beginAttempt(now), false, true);

describe('EndpointHealth state machine', () => {
  it('closed -> ejected after N consecutive failures; a success in between resets the count', () => {
    const { h } = make();
    fail(h, 0);
    fail(h, 1);
    h.endAttempt(2, false, true, true); // success
    fail(h, 3);
    fail(h, 4);
    expect(h.state(4)).toBe('healthy');
    fail(h, 5);
    expect(h.snapshot(5)).toMatchObject({ state: 'ejected', available: false, until: 1005, ejections: 1 });
  });

  it('ejected -> half-open with at most halfOpenProbes concurrent probes -> healthy on probe success', () => {
    const { h, transitions } = make();
    for (let i = 0; i < 3; i++) fail(h, 0);
    expect(h.available(999)).toBe(false);
    expect(h.state(1000)).toBe('half-open');
    expect(h.available(1000)).toBe(true);
    expect(h.beginAttempt(1000)).toBe(true); // probe 1
    expect(h.available(1000)).toBe(true);
    expect(h.beginAttempt(1000)).toBe(true); // probe 2
    expect(h.available(1000)).toBe(false); // limit reached
    h.endAttempt(1010, true, true, true); // probe succeeds
    expect(h.snapshot(1010)).toMatchObject({ state: 'healthy', available: true, until: null });
    expect(transitions).toEqual(['0:healthy->ejected', '1000:ejected->half-open', '1010:half-open->healthy']);
  });

  it('probe failure -> ejected again for twice as long, growing until capped at maxEjectionMs', () => {
    const { h } = make();
    for (let i = 0; i < 3; i++) fail(h, 0);
    let now = 0;
    const durations: number[] = [];
    for (let k = 0; k < 5; k++) {
      const until = h.snapshot(now).until!;
      durations.push(until - now);
      now = until;
      expect(h.state(now)).toBe('half-open');
      const probe = h.beginAttempt(now);
      expect(probe).toBe(true);
      h.endAttempt(now, probe, false, true); // probe fails
    }
    expect(durations).toEqual([1000, 2000, 4000, 5000, 5000]);
  });

  it('non-attributable outcomes (client 4xx, aborts) never eject and only free the probe slot', () => {
    const { h } = make({ halfOpenProbes: 1 });
    for (let i = 0; i < 10; i++) h.endAttempt(i, false, false, false);
    expect(h.state(10)).toBe('healthy');
    for (let i = 0; i < 3; i++) fail(h, 10);
    const probe = h.beginAttempt(1010);
    expect(h.available(1010)).toBe(false);
    h.endAttempt(1011, probe, false, false); // aborted probe
    expect(h.state(1011)).toBe('half-open');
    expect(h.available(1011)).toBe(true);
  });

  it('ejects on windowed error rate over threshold once minRequests is reached', () => {
    const { h } = make({ consecutiveFailures: 100, errorRate: { threshold: 0.5, minRequests: 10 } });
    // alternate ok/fail: 50% is not "over" 0.5
    for (let i = 0; i < 10; i++) h.endAttempt(i, false, i % 2 === 0, true);
    expect(h.state(10)).toBe('healthy');
    fail(h, 11); // 6 bad of 11 > 0.5
    expect(h.state(11)).toBe('ejected');
  });

  it('slow start ramps the weight multiplier from 0.1 to 1 over slowStartMs after recovery', () => {
    const { h } = make({ halfOpenProbes: 1 });
    expect(h.snapshot(0).slowStart).toBe(1); // never ejected: full weight
    for (let i = 0; i < 3; i++) fail(h, 0);
    h.endAttempt(1000, h.beginAttempt(1000), true, true); // recovered at 1000
    expect(h.snapshot(1000).slowStart).toBeCloseTo(0.1, 9);
    expect(h.snapshot(1500).slowStart).toBeCloseTo(0.55, 9);
    expect(h.snapshot(2000).slowStart).toBe(1);
    expect(slowStartFactor(5, 0, 0)).toBe(1);
  });

  it('forgets earlier ejections after staying healthy for maxEjectionMs', () => {
    const { h } = make({ halfOpenProbes: 1 });
    for (let i = 0; i < 3; i++) fail(h, 0);
    h.endAttempt(1000, h.beginAttempt(1000), true, true);
    for (let i = 0; i < 3; i++) fail(h, 2000); // within 5 s of recovery: second ejection, 2 s
    expect(h.snapshot(2000).until).toBe(4000);
    h.endAttempt(4000, h.beginAttempt(4000), true, true);
    for (let i = 0; i < 3; i++) fail(h, 20_000); // long healthy: back to the base ejection
    expect(h.snapshot(20_000)).toMatchObject({ until: 21_000, ejections: 1 });
  });

  it('active checks: a pass revives an ejected endpoint, a failure counts as one failure', () => {
    const { h } = make();
    for (let i = 0; i < 3; i++) h.checkFailed(i);
    expect(h.state(3)).toBe('ejected');
    h.checkPassed(4);
    expect(h.snapshot(4)).toMatchObject({ state: 'healthy', slowStart: 0.1 });
  });
});

describe('Retry-After cooldowns', () => {
  it('cooldown until now + Retry-After (capped); a new cooldown never shortens an existing one', () => {
    const { h } = make({ maxCooldownMs: 10_000 });
    h.cooldown(0, 3000);
    expect(h.snapshot(0)).toMatchObject({ state: 'cooldown', available: false, until: 3000 });
    h.cooldown(1000, 500); // would end at 1500: ignored
    expect(h.snapshot(1000).until).toBe(3000);
    h.cooldown(2000, 2000); // ends at 4000: extends
    expect(h.snapshot(2000).until).toBe(4000);
    h.cooldown(2000, 60_000); // capped at 10 s
    expect(h.snapshot(2000).until).toBe(12_000);
    expect(h.available(11_999)).toBe(false);
    expect(h.snapshot(12_000)).toMatchObject({ state: 'healthy', available: true, until: null });
  });
});

describe('health transitions are stamped with when they happened, not when they were noticed', () => {
  it('ejected -> half-open at the ejection end; cooldown -> healthy at the cooldown end', () => {
    const { h, transitions } = make();
    for (let i = 0; i < 3; i++) fail(h, 0);
    h.available(5000); // noticed late
    h.cooldown(6000, 500);
    h.available(9000);
    expect(transitions).toEqual(['0:healthy->ejected', '1000:ejected->half-open', '6000:half-open->cooldown', '6500:cooldown->half-open']);
  });
});
