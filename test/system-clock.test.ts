/** The system clock's task timers (an attempt's deadline in the proxy): same semantics as its setTimeout, driven by fake timers. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../router/core/clock.js';
import { CLEAR_TIMEOUT_TASK, SET_TIMEOUT_TASK } from '../router/core/direct.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('systemClock task timers', () => {
  it('fire each task once when due (a negative delay is 0), and never after a clear', () => {
    vi.useFakeTimers();
    const fired: string[] = [];
    const task = (name: string) => ({ fire: () => fired.push(name), timerHandle: null as unknown });
    systemClock[SET_TIMEOUT_TASK](task('late'), 100);
    systemClock[SET_TIMEOUT_TASK](task('now'), -5);
    const gone = task('cancelled');
    systemClock[SET_TIMEOUT_TASK](gone, 50);
    const viaFn = systemClock.setTimeout(() => fired.push('fn'), 60);
    expect(gone.timerHandle).not.toBeNull();
    systemClock[CLEAR_TIMEOUT_TASK](gone);
    expect(gone.timerHandle).toBeNull();
    systemClock[CLEAR_TIMEOUT_TASK](gone); // nothing pending: a no-op
    vi.advanceTimersByTime(99);
    expect(fired).toEqual(['now', 'fn']);
    viaFn.cancel(); // after it fired: a no-op
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['now', 'fn', 'late']);
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual(['now', 'fn', 'late']);
  });
});
