import { sleepOn, type Clock, type Timer } from '../router/core/clock.js';

/**
 * The virtual-time engine: a min-heap of events ordered by (time, seq) and a clock that
 * reads the time of the event being processed. No timers, no sockets.
 *
 * Microtasks are the hard part. The router is async code: when an event resolves a
 * transport promise, a chain of promise continuations (stats, health, the next layer,
 * the caller) runs *after* the event handler returns, and each of them may read
 * `clock.now()` or schedule a timer. On a real clock they all run before any later
 * timer fires; here too they must all run before time moves on. Node offers no
 * "microtask queue is empty" test, but a macrotask (setImmediate) only starts once the
 * queue is empty. So the loop is:
 *
 *   step (a macrotask): t = earliest event time; fire every event at t in seq order
 *                       (events added at t while firing included); setImmediate(step)
 *
 * i.e. one macrotask per distinct event time, and the microtasks of every event at t
 * drain before the clock moves past t. A macrotask costs ~1 µs, so this bounds speed.
 * `quantumMs` > 0 rounds event times up to a grid so more events share a time (and a
 * macrotask); it changes the outcomes (by < quantum per step) but not determinism.
 *
 * Cancelled timers stay in the heap (lazy deletion) until they surface, or until they
 * outnumber live events, when the heap is rebuilt in O(n): router timeouts are almost
 * always cancelled, and a 30 s TTFT timer per attempt would otherwise pile up.
 */

interface Event {
  time: number;
  seq: number;
  fn: (() => void) | null; // null = cancelled
}

function before(a: Event, b: Event): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/** A binary min-heap with hole-based sifting (no swaps, no allocation per move). */
class Heap {
  items: Event[] = [];

  get size(): number {
    return this.items.length;
  }

  push(e: Event): void {
    const a = this.items;
    let i = a.length;
    a.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = a[p]!;
      if (!before(e, pe)) break;
      a[i] = pe;
      i = p;
    }
    a[i] = e;
  }

  pop(): Event | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) this.siftDown(last, 0);
    return top;
  }

  private siftDown(e: Event, i: number): void {
    const a = this.items;
    const n = a.length;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n && before(a[r]!, a[c]!)) c = r;
      const ce = a[c]!;
      if (!before(ce, e)) break;
      a[i] = ce;
      i = c;
    }
    a[i] = e;
  }

  /** Keep only live events and restore the heap property (Floyd, O(n)). */
  rebuild(): void {
    const a = this.items.filter((e) => e.fn !== null);
    this.items = a;
    for (let i = (a.length >> 1) - 1; i >= 0; i--) this.siftDown(a[i]!, i);
  }
}

export interface EngineOptions {
  /** Start time, ms. */
  startMs?: number;
  /** Round event times up to this grid (ms); 0 = exact (default). */
  quantumMs?: number;
}

export interface RunOptions {
  /** Stop before firing events later than this (ms). */
  untilMs?: number;
}

export class Engine {
  private current: number;
  private seq = 0;
  private readonly heap = new Heap();
  private cancelled = 0;
  private readonly quantum: number;
  private running = false;
  /** Events fired so far (live ones). */
  fired = 0;
  /** Macrotask steps taken (distinct event times). */
  steps = 0;

  /** The engine's clock: hand it to the router. */
  readonly clock: Clock;

  constructor(opts: EngineOptions = {}) {
    this.current = opts.startMs ?? 0;
    this.quantum = opts.quantumMs ?? 0;
    if (!(this.quantum >= 0)) throw new Error(`engine.quantumMs: expected >= 0, got ${opts.quantumMs}`);
    const self = this;
    this.clock = {
      now: () => self.current,
      setTimeout: (fn, ms) => self.at(self.current + (ms > 0 ? ms : 0), fn),
      sleep(ms, signal) {
        return sleepOn(self.clock, ms, signal);
      },
    };
  }

  now(): number {
    return this.current;
  }

  /** Live events still scheduled. */
  pending(): number {
    return this.heap.size - this.cancelled;
  }

  /** Run `fn` at absolute time `timeMs` (never in the past). */
  at(timeMs: number, fn: () => void): Timer {
    let t = timeMs > this.current ? timeMs : this.current;
    if (this.quantum > 0) t = Math.ceil(t / this.quantum) * this.quantum;
    if (!Number.isFinite(t)) throw new Error(`engine: cannot schedule an event at ${timeMs}`);
    const ev: Event = { time: t, seq: this.seq++, fn };
    this.heap.push(ev);
    return {
      cancel: () => {
        if (ev.fn === null) return;
        ev.fn = null;
        this.cancelled++;
        if (this.cancelled > 4096 && this.cancelled * 2 > this.heap.size) {
          this.heap.rebuild();
          this.cancelled = 0;
        }
      },
    };
  }

  /** Run `fn` after `ms` of virtual time. */
  after(ms: number, fn: () => void): Timer {
    return this.at(this.current + ms, fn);
  }

  /**
   * Process events until none is left (or the next is after `untilMs`). Resolves after
   * the last event's microtasks have drained. Rejects if an event handler throws.
   */
  run(opts: RunOptions = {}): Promise<void> {
    if (this.running) return Promise.reject(new Error('engine: run() is already in progress'));
    this.running = true;
    const until = opts.untilMs ?? Infinity;
    const heap = this.heap;
    return new Promise<void>((resolve, reject) => {
      const step = (): void => {
        try {
          let top = heap.items[0];
          while (top !== undefined && top.fn === null) {
            heap.pop();
            this.cancelled--;
            top = heap.items[0];
          }
          if (top === undefined || top.time > until) {
            this.running = false;
            resolve();
            return;
          }
          const t = top.time;
          this.current = t;
          this.steps++;
          // Fire everything due at t, including events added at t while firing.
          while (top !== undefined && top.time === t) {
            heap.pop();
            const fn = top.fn;
            if (fn === null) this.cancelled--;
            else {
              top.fn = null; // a fired timer's cancel() is a no-op
              this.fired++;
              fn();
            }
            top = heap.items[0];
          }
        } catch (e) {
          this.running = false;
          reject(e);
          return;
        }
        setImmediate(step);
      };
      setImmediate(step);
    });
  }
}
