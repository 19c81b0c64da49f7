import { EventHeap } from './heap.js';
import { CLEAR_TIMEOUT_TASK, SET_TIMEOUT_TASK, type TaskClock, type TimerTask } from './direct.js';

/** A cancellable timer handle. */
export interface Timer {
  cancel(): void;
}

/**
 * Time comes in through this interface and nowhere else (a test enforces it):
 * the proxy runs on the system clock, tests and the virtual-time engine on a
 * ManualClock, so the same router code can be replayed deterministically.
 * All times are milliseconds.
 */
export interface Clock {
  /** Monotonic milliseconds. Only differences are meaningful. */
  now(): number;
  /** Run `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): Timer;
  /** Resolve after `ms`; reject with the signal's reason if aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

/** Shared sleep built on a clock's setTimeout, abortable. */
export function sleepOn(clock: Pick<Clock, 'setTimeout'>, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      timer.cancel();
      reject(abortReason(signal!));
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A system timer's handle: one object (no cancel closure per timer). */
class SystemTimer implements Timer {
  constructor(private readonly handle: ReturnType<typeof setTimeout>) {}
  cancel(): void {
    clearTimeout(this.handle);
  }
}

const fireTask = (task: TimerTask): void => task.fire();

/** The real clock: performance.now() and setTimeout. The only place router/ reads real time. */
export const systemClock: Clock & TaskClock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    return new SystemTimer(setTimeout(fn, Math.max(0, ms)));
  },
  /** A timer for a task object (an attempt's deadline): no closure or handle object per timer (direct.ts). */
  [SET_TIMEOUT_TASK](task: TimerTask, ms: number): void {
    task.timerHandle = setTimeout(fireTask, Math.max(0, ms), task);
  },
  [CLEAR_TIMEOUT_TASK](task: TimerTask): void {
    const h = task.timerHandle as ReturnType<typeof setTimeout> | null | undefined;
    if (h === null || h === undefined) return;
    task.timerHandle = null;
    clearTimeout(h);
  },
  sleep(ms, signal) {
    return sleepOn(systemClock, ms, signal);
  },
};

interface ScheduledTimer {
  time: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Let every queued promise continuation run before the next timer fires. */
const flushMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A clock that only moves when told to. Timers fire in (time, insertion) order.
 * `advance` is async: after each timer it lets pending promise continuations run,
 * so code written with async/await behaves as it would on the system clock.
 */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly timers = new EventHeap<ScheduledTimer>();

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const t: ScheduledTimer = { time: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return { cancel: () => (t.cancelled = true) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Number of timers still scheduled (cancelled ones excluded lazily). */
  pending(): number {
    this.dropCancelled();
    return this.timers.size;
  }

  /** Time of the next live timer, or undefined. */
  nextTime(): number | undefined {
    this.dropCancelled();
    return this.timers.peek()?.time;
  }

  /** Fire the next timer (moving time to it) if it is due by `limit`. Returns false when none is. */
  fireNext(limit = Infinity): boolean {
    this.dropCancelled();
    const t = this.timers.peek();
    if (!t || t.time > limit) return false;
    this.timers.pop();
    this.current = Math.max(this.current, t.time);
    t.fn();
    return true;
  }

  /** Move time forward by `ms`, firing due timers in order and flushing promise continuations. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await flushMicrotasks();
    while (this.fireNext(target)) await flushMicrotasks();
    this.current = Math.max(this.current, target);
    await flushMicrotasks();
  }

  /** Fire timers until none is left or `maxMs` of virtual time has passed. */
  async runAll(maxMs = 24 * 3600_000): Promise<void> {
    const limit = this.current + maxMs;
    await flushMicrotasks();
    while (this.fireNext(limit)) await flushMicrotasks();
  }

  /** Synchronous variant of advance for code that uses no promises. */
  tick(ms: number): void {
    const target = this.current + ms;
    while (this.fireNext(target));
    this.current = Math.max(this.current, target);
  }

  private dropCancelled(): void {
    while (this.timers.peek()?.cancelled) this.timers.pop();
  }
}

/**
 * Wall-clock time, for what must name a calendar time (the proxy's access log). Routing
 * never reads it: decisions use the monotonic Clock above.
 */
export const wallClock = {
  /** Epoch milliseconds. */
  nowMs: (): number => Date.now(),
  /** Epoch ms → ISO 8601 UTC (`2026-12-02T06:00:00.000Z`). */
  iso: (ms: number): string => new Date(ms).toISOString(),
};
