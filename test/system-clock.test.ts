/** The system clock's task timers (an attempt's deadline in the proxy): same semantics as its setTimeout, driven by fake timers. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../router/core/clock.js';
import { SET_TIMEOUT_TASK } from '../router/core/direct.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('systemClock task timers', () => {
  it('fire each task once when due (a negative delay is 0), and never after cancel()', () => {
    vi.useFakeTimers();
    const fired: string[] = [];
    const task = (name: string) => ({ fire: () => fired.push(name) });
    systemClock[SET_TIMEOUT_TASK](task('late'), 100);
    systemClock[SET_TIMEOUT_TASK](task('now'), -5);
    const gone = systemClock[SET_TIMEOUT_TASK](task('cancelled'), 50);
    const viaFn = systemClock.setTimeout(() => fired.push('fn'), 60);
    gone.cancel();
    vi.advanceTimersByTime(99);
    expect(fired).toEqual(['now', 'fn']);
    viaFn.cancel(); // after it fired: a no-op
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['now', 'fn', 'late']);
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual(['now', 'fn', 'late']);
  });
});
