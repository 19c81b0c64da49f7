import { describe, expect, it } from 'vitest';
import { Engine, FAR_HORIZON_MS } from '../simulator/engine.js';
import { CLEAR_TIMEOUT_TASK, SET_TIMEOUT_TASK, type TaskClock, type TimerTask } from '../router/core/direct.js';

/**
 * Events due FAR_HORIZON_MS or more ahead wait outside the heap (engine.ts FarEvents).
 * Order must still be (time, seq), cancelled far events must never fire, and pending()
 * must count them.
 */
describe('engine far events', () => {
  it('fires near and far events in (time, seq) order, skipping cancelled ones (seeded mix)', async () => {
    const e = new Engine();
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const expected: Array<[number, number]> = [];
    const fired: Array<[number, number]> = [];
    let seq = 0;
    const add = (at: number): void => {
      const my = seq++;
      const cancel = rnd() < 0.3;
      const t = e.at(at, () => fired.push([e.now(), my]));
      if (cancel) t.cancel();
      else expected.push([Math.max(at, e.now()), my]);
    };
    // Some at the same times, near and far, scheduled from inside events too.
    for (let i = 0; i < 300; i++) add(Math.floor(rnd() * 20) * 100);
    e.at(50, () => {
      for (let i = 0; i < 200; i++) add(50 + Math.floor(rnd() * 30) * 64);
    });
    expect(e.pending()).toBe(expected.length + 1);
    await e.run();
    expected.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(fired).toEqual(expected);
    expect(e.pending()).toBe(0);
  });

  it('cancelling far events later, in any order, drops exactly those (bucket swap-removal)', async () => {
    const e = new Engine();
    let seed = 11;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const fired: number[] = [];
    // 400 far events over three buckets (several per time), cancelled later from an event in shuffled order.
    const timers = Array.from({ length: 400 }, (_, i) => {
      const at = FAR_HORIZON_MS * 4 + Math.floor(rnd() * 12) * 64;
      return { i, at, t: e.at(at, () => fired.push(i)) };
    });
    const cancelled = new Set<number>();
    e.at(10, () => {
      const order = timers.map((x) => x.i).sort(() => rnd() - 0.5);
      for (const i of order.slice(0, 250)) {
        timers[i]!.t.cancel();
        timers[i]!.t.cancel(); // twice: a no-op
        cancelled.add(i);
      }
      expect(e.pending()).toBe(150);
    });
    await e.run();
    const expected = timers.filter((x) => !cancelled.has(x.i)).sort((a, b) => a.at - b.at || a.i - b.i);
    expect(fired).toEqual(expected.map((x) => x.i));
    expect(e.pending()).toBe(0);
  });

  it('a far event scheduled at the same time as a near one still fires in seq order', async () => {
    const e = new Engine();
    const out: string[] = [];
    e.at(FAR_HORIZON_MS * 4, () => out.push('far-first'));
    e.at(FAR_HORIZON_MS * 4 - 1, () => e.at(FAR_HORIZON_MS * 4, () => out.push('near-later')));
    await e.run();
    expect(out).toEqual(['far-first', 'near-later']);
  });

  it('task timers (the clock\'s SET_TIMEOUT_TASK: slot-table rows while far) keep (time, seq) order with events, and a clear drops exactly them', async () => {
    const e = new Engine();
    const clock = e.clock as typeof e.clock & TaskClock;
    let seed = 5;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const fired: number[] = [];
    const expected: Array<[number, number]> = [];
    const tasks: Array<TimerTask & { i: number }> = [];
    let n = 0;
    // Tasks and ordinary events at the same times, near and far (several per bucket), in one seq order.
    const add = (at: number): void => {
      const i = n++;
      if (rnd() < 0.5) {
        const task = { i, timerHandle: null as unknown, fire: () => fired.push(i) };
        tasks.push(task);
        clock[SET_TIMEOUT_TASK](task, at - e.now());
      } else e.at(at, () => fired.push(i));
      expected.push([at, i]);
    };
    for (let i = 0; i < 400; i++) add(64 + Math.floor(rnd() * 40) * 64); // none due before the clears at 1 ms
    const far = tasks.filter((t) => typeof t.timerHandle === 'number');
    expect(far.length).toBeGreaterThan(50); // far ones wait as slot numbers, near ones as Events
    expect(tasks.some((t) => typeof t.timerHandle === 'object')).toBe(true);
    const cleared = new Set<number>();
    e.at(1, () => {
      // Clear some in shuffled order (swap-removal moves the others' rows), twice each: the second is a no-op.
      for (const t of [...tasks].sort(() => rnd() - 0.5).slice(0, 120)) {
        clock[CLEAR_TIMEOUT_TASK](t);
        clock[CLEAR_TIMEOUT_TASK](t);
        expect(t.timerHandle).toBeNull();
        cleared.add(t.i);
      }
      // New far rows reuse the freed slots and still fire in order.
      for (let i = 0; i < 30; i++) add(FAR_HORIZON_MS * 3 + Math.floor(rnd() * 8) * 64);
    });
    expect(e.pending()).toBe(401);
    await e.run();
    const want = expected.filter(([, i]) => !cleared.has(i)).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i);
    expect(fired).toEqual(want);
    expect(e.pending()).toBe(0);
  });
});
