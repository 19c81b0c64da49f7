import { promiseHooks } from 'node:v8';
import { sleepOn, type Clock, type Timer } from '../router/core/clock.js';
import { CLEAR_TIMEOUT_TASK, SET_TIMEOUT_TASK, type TaskClock, type TimerTask } from '../router/core/direct.js';
import { listOfAny, listOfDoubles } from './lists.js';

/**
 * The virtual-time engine: a min-heap of events ordered by (time, seq) and a clock that
 * reads the time of the event being processed. No timers, no sockets.
 *
 * Microtasks are the hard part. The router is async code: when an event resolves a
 * transport promise, a chain of promise continuations (stats, health, the next layer,
 * the caller) runs *after* the event handler returns, and each of them may read
 * `clock.now()` or schedule a timer. On a real clock they all run before any later
 * timer fires; here too they must all run before time moves on. The loop:
 *
 *   step: t = earliest event time; fire every event at t in seq order (events added
 *         at t while firing included); then wait until the microtask queue is empty
 *         and run the next step.
 *
 * "Wait until the queue is empty" without a timer: Node runs process.nextTick callbacks
 * and promise microtasks in a loop (processTicksAndRejections): drain the tick queue,
 * then run V8's microtask checkpoint, which runs microtasks until none is left, then
 * look at the tick queue again. So the step queues a microtask (a then() on a settled
 * promise) that queues the next step
 * with process.nextTick: it runs only after the checkpoint has drained every microtask,
 * including the ones queued after it. ~0.5 µs per step, no syscalls. (A setImmediate per
 * step is also correct, at ~1-3 µs.) Every YIELD_EVERY steps the engine uses setImmediate
 * instead, so timers and I/O of the host process (progress bars, servers) still run.
 * Caveat: code that itself defers work with process.nextTick (the router core does not)
 * could see the clock already advanced.
 *
 * Most steps queue no microtask at all once the router and the transport talk through
 * plain calls (router/core/direct.ts: ROUTE_DIRECT, SEND_DIRECT): then the drain is
 * pure overhead. With drain 'auto' a V8 promise hook (node:v8 promiseHooks: init and
 * settled) marks a step that created or settled any promise, and only such a step is
 * followed by the drain; the others run the next step at once, in the same loop. A
 * promise reaction job is only ever queued by creating a promise (then, await, an async
 * call) or settling one, so an unmarked step left nothing behind. Not seen by the hook:
 * queueMicrotask, process.nextTick, and resolving an *older* pending promise with a
 * thenable (a plain value settles it and is seen); the router core uses none of them, and
 * test/sim-engine-drain.test.ts checks that 'auto' and 'tick' give identical outcomes on
 * every shipped scenario and strategy.
 *
 * `quantumMs` > 0 rounds event times up to a grid so more events share a time (and a
 * step); it changes the outcomes (by < quantum per step) but not determinism.
 *
 * Router timeouts (a TTFT and a total deadline per attempt, 5-120 s away) are almost
 * always cancelled long before they are due. Events due FAR_HORIZON_MS or more ahead
 * therefore wait outside the heap, in time buckets (FarEvents, a calendar queue's
 * overflow list); a bucket moves into the heap only when the next event to fire is at or
 * past the bucket's start. The heap stays the size of what is really near (with 2,500
 * requests in flight, ~2,500 instead of ~10,000), and a cancelled far timer leaves its
 * bucket at once (O(1), so it is garbage as soon as its owner drops it). Order is
 * unchanged: the heap still orders by (time, seq), and a bucket is in the heap before any
 * of its events could be next. A router deadline set through the clock's task API
 * (SET_TIMEOUT_TASK: a task that keeps its own timer handle) waits there as a row of
 * FarEvents' slot table (task, time, seq: no object, and nothing in the young generation
 * the garbage collector copies while its request is in flight); its Event is made only
 * when its bucket moves into the heap, with the seq it was given when set. Cancelled events in the heap stay there (lazy deletion) until they surface, or
 * until they outnumber live events, when the heap is rebuilt in O(n).
 */

/** Something to run at a time without a closure: `fire()` is called. */
export interface Task {
  fire(): void;
}

/**
 * One scheduled event; it is also the Timer handed out (a class, so no closure or
 * per-event function object is created). Cancelled or fired = `live` false.
 */
class Event implements Timer {
  live = true;
  /** While waiting in FarEvents (not in the heap): its bucket (so a cancel needs no bucket lookup), else null. */
  farList: Event[] | null = null;
  /** While in a bucket: its index there. */
  farIndex = 0;
  constructor(
    readonly time: number,
    readonly seq: number,
    public fn: (() => void) | null,
    public task: Task | null,
    private readonly owner: Engine,
  ) {}

  cancel(): void {
    if (!this.live) return;
    this.live = false;
    this.fn = null;
    this.task = null;
    this.owner.onCancel(this);
  }
}

function before(a: Event, b: Event): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/** A binary min-heap with hole-based sifting (no swaps, no allocation per move). */
class Heap {
  items: Event[] = listOfAny<Event>(); // (lists.ts: no change of element kind per new engine)

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
    const a = this.items.filter((e) => e.live);
    this.items = a;
    for (let i = (a.length >> 1) - 1; i >= 0; i--) this.siftDown(a[i]!, i);
  }
}

/** Width of a far-event bucket, ms. */
export const FAR_BUCKET_MS = 256;
/** Events due at least this far ahead wait in FarEvents. */
export const FAR_HORIZON_MS = 2 * FAR_BUCKET_MS;

/** One far bucket: its events, and its task timers (rows of FarEvents' slot table). */
class Bucket {
  readonly events: Event[] = [];
  readonly slots: number[] = [];
}

/** Far-future events by time bucket, outside the heap (see the file comment). */
class FarEvents {
  private readonly buckets = new Map<number, Bucket>();
  /** Bucket numbers held, ascending. */
  private readonly order: number[] = [];
  /** Live events held. */
  live = 0;
  /** Highest bucket moved into the heap so far: later events of it go to the heap directly. */
  private movedUpTo = -Infinity;
  /**
   * Task timers waiting here, one row (slot) each: the task (its timerHandle is the slot
   * number), its time and seq, its bucket's slot list and its index there. Freed rows are reused.
   */
  private readonly sTask: Array<TimerTask | null> = listOfAny<TimerTask | null>(); // (lists.ts)
  private readonly sTime: number[] = listOfDoubles();
  private readonly sSeq: number[] = [];
  private readonly sList: Array<number[] | null> = listOfAny<number[] | null>();
  private readonly sPos: number[] = [];
  private readonly freeSlots: number[] = [];

  accepts(t: number, now: number): boolean {
    return t - now >= FAR_HORIZON_MS && Math.floor(t / FAR_BUCKET_MS) > this.movedUpTo;
  }

  private bucketOf(t: number): Bucket {
    const b = Math.floor(t / FAR_BUCKET_MS);
    let bucket = this.buckets.get(b);
    if (bucket === undefined) {
      bucket = new Bucket();
      this.buckets.set(b, bucket);
      const o = this.order;
      let i = o.length;
      while (i > 0 && o[i - 1]! > b) i--; // nearly always appended at the end
      o.splice(i, 0, b);
      this.nextStart = o[0]! * FAR_BUCKET_MS;
    }
    return bucket;
  }

  add(e: Event): void {
    const list = this.bucketOf(e.time).events;
    e.farIndex = list.length;
    list.push(e);
    e.farList = list;
    this.live++;
  }

  /** A task timer (time t, seq): a row of the slot table; the task's handle is its slot number. */
  addTask(task: TimerTask, t: number, seq: number): void {
    const list = this.bucketOf(t).slots;
    const s = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.sTask.length;
    this.sTask[s] = task;
    this.sTime[s] = t;
    this.sSeq[s] = seq;
    this.sList[s] = list;
    this.sPos[s] = list.length;
    list.push(s);
    task.timerHandle = s;
    this.live++;
  }

  /**
   * A far event was cancelled: take it out of its bucket at once (swap with the last; the
   * heap orders a bucket's events when it moves in). Left in place, a cancelled deadline
   * lived until its bucket came due, 5-120 s of virtual time later: with ~2,000 requests a
   * second that was ~19 dead events per request in flight, all promoted to the old
   * generation by the garbage collector.
   */
  remove(e: Event): void {
    const list = e.farList!;
    const last = list.pop()!;
    if (last !== e) {
      list[e.farIndex] = last;
      last.farIndex = e.farIndex;
    }
    e.farList = null;
    this.live--;
  }

  /** A far task timer was cancelled (slot s): out of its bucket at once, the same way. */
  removeTask(s: number): void {
    const list = this.sList[s]!;
    const pos = this.sPos[s]!;
    const last = list.pop()!;
    if (last !== s) {
      list[pos] = last;
      this.sPos[last] = pos;
    }
    this.freeSlot(s);
  }

  private freeSlot(s: number): void {
    this.sTask[s] = null;
    this.sList[s] = null;
    this.freeSlots.push(s);
    this.live--;
  }

  /** Start time of the earliest bucket (Infinity when empty); kept current by add/moveFirst. */
  nextStart = Infinity;

  /**
   * Move the earliest bucket's live events into the heap; cancelled ones are dropped here.
   * Its task timers become Events now (their seq kept), and their tasks' handles those Events.
   */
  moveFirst(heap: Heap, owner: Engine): void {
    const b = this.order.shift()!;
    this.nextStart = this.order.length > 0 ? this.order[0]! * FAR_BUCKET_MS : Infinity;
    const bucket = this.buckets.get(b)!;
    this.buckets.delete(b);
    this.movedUpTo = b;
    const list = bucket.events;
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (!e.live) continue;
      e.farList = null;
      this.live--;
      heap.push(e);
    }
    const slots = bucket.slots;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      const task = this.sTask[s]!;
      const e = new Event(this.sTime[s]!, this.sSeq[s]!, null, task, owner);
      task.timerHandle = e;
      this.freeSlot(s);
      heap.push(e);
    }
  }
}

/** Steps between yields to the host event loop. */
export const YIELD_EVERY = 1024;

export interface EngineOptions {
  /** Start time, ms. */
  startMs?: number;
  /** Round event times up to this grid (ms); 0 = exact (default). */
  quantumMs?: number;
  /**
   * How to wait for microtasks between steps: 'tick' (default: after every step),
   * 'auto' (only after a step that created or settled a promise; see the file comment) or
   * 'immediate' (setImmediate every step, the slow reference).
   */
  drain?: 'tick' | 'auto' | 'immediate';
}

export interface RunOptions {
  /** Stop before firing events later than this (ms). */
  untilMs?: number;
}

/**
 * An engine's clock. A class, not an object of closures made per engine: the router calls
 * clock.now() everywhere, and a new closure per engine was a new call target to V8 at each
 * run, so the router's optimised code made in one run was thrown away in the next.
 */
class EngineClock implements Clock, TaskClock {
  constructor(private readonly engine: Engine) {}

  now(): number {
    return this.engine.now();
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.engine.at(this.engine.now() + (ms > 0 ? ms : 0), fn);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** setTimeout for a task object: no closure or Event per router timer while it is far (router/core/direct.ts). */
  [SET_TIMEOUT_TASK](task: TimerTask, ms: number): void {
    this.engine.setTaskTimer(this.engine.now() + (ms > 0 ? ms : 0), task);
  }

  [CLEAR_TIMEOUT_TASK](task: TimerTask): void {
    this.engine.clearTaskTimer(task);
  }
}

export class Engine {
  private current: number;
  private seq = 0;
  private readonly heap = new Heap();
  private readonly far = new FarEvents();
  /** Cancelled events still in the heap. */
  private cancelled = 0;
  private readonly quantum: number;
  private readonly yieldEvery: number;
  private readonly drain: 'tick' | 'auto' | 'immediate';
  private running = false;
  /** Set by fail(): run() rejects with it before the next step. */
  private failure: { err: unknown } | null = null;
  /** Events fired so far (live ones). */
  fired = 0;
  /** Steps taken (distinct event times). */
  steps = 0;
  /** Of those, steps run without a microtask drain before them ('auto'). */
  syncSteps = 0;

  /** The engine's clock: hand it to the router. */
  readonly clock: Clock;

  constructor(opts: EngineOptions = {}) {
    this.current = opts.startMs ?? 0;
    this.quantum = opts.quantumMs ?? 0;
    this.drain = opts.drain ?? 'tick';
    if (this.drain !== 'tick' && this.drain !== 'auto' && this.drain !== 'immediate')
      throw new Error(`engine.drain: expected 'tick', 'auto' or 'immediate', got ${String(opts.drain)}`);
    this.yieldEvery = this.drain === 'immediate' ? 1 : YIELD_EVERY;
    if (!(this.quantum >= 0)) throw new Error(`engine.quantumMs: expected >= 0, got ${opts.quantumMs}`);
    this.clock = new EngineClock(this);
  }

  now(): number {
    return this.current;
  }

  /** Live events still scheduled. */
  pending(): number {
    return this.heap.size - this.cancelled + this.far.live;
  }

  /** Run `fn` at absolute time `timeMs` (never in the past). */
  at(timeMs: number, fn: () => void): Timer {
    return this.push(timeMs, fn, null);
  }

  /** Call `task.fire()` at absolute time `timeMs` (no closure needed). */
  schedule(timeMs: number, task: Task): Timer {
    return this.push(timeMs, null, task);
  }

  /** The time an event asked for at `timeMs` fires: never in the past, on the grid. */
  private timeFor(timeMs: number): number {
    let t = timeMs > this.current ? timeMs : this.current;
    if (this.quantum > 0) t = Math.ceil(t / this.quantum) * this.quantum;
    if (!Number.isFinite(t)) throw new Error(`engine: cannot schedule an event at ${timeMs}`);
    return t;
  }

  /**
   * The clock's SET_TIMEOUT_TASK: `task.fire()` at `timeMs`, in the same (time, seq) order as
   * schedule(); far ahead it waits as a slot-table row (no Event until its bucket is due).
   * The task's timerHandle is the engine's (a slot number or an Event) until it fires or is cleared.
   */
  setTaskTimer(timeMs: number, task: TimerTask): void {
    const t = this.timeFor(timeMs);
    const seq = this.seq++;
    if (this.far.accepts(t, this.current)) this.far.addTask(task, t, seq);
    else {
      const ev = new Event(t, seq, null, task, this);
      this.heap.push(ev);
      task.timerHandle = ev;
    }
  }

  /** The clock's CLEAR_TIMEOUT_TASK: cancel the task's pending timer, if any. */
  clearTaskTimer(task: TimerTask): void {
    const h = task.timerHandle;
    if (h === null || h === undefined) return;
    task.timerHandle = null;
    if (typeof h === 'number') this.far.removeTask(h);
    else (h as Event).cancel();
  }

  private push(timeMs: number, fn: (() => void) | null, task: Task | null): Event {
    const t = this.timeFor(timeMs);
    const ev = new Event(t, this.seq++, fn, task, this);
    if (this.far.accepts(t, this.current)) this.far.add(ev);
    else this.heap.push(ev);
    return ev;
  }

  /** @internal An event was cancelled: rebuild the heap once dead events dominate it. */
  onCancel(e: Event): void {
    if (e.farList !== null) {
      this.far.remove(e);
      return;
    }
    this.cancelled++;
    if (this.cancelled > 4096 && this.cancelled * 2 > this.heap.size) {
      this.heap.rebuild();
      this.cancelled = 0;
    }
  }

  /**
   * Stop a run from outside an event (e.g. a promise continuation that failed): run()
   * rejects with `err` before the next step. The first failure wins.
   */
  fail(err: unknown): void {
    this.failure ??= { err };
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
    const far = this.far;
    return new Promise<void>((resolve, reject) => {
      // 'auto': the promise hook says whether this step created or settled a promise.
      let dirty = true;
      const markDirty = (): void => {
        dirty = true;
      };
      const stopHooks = this.drain === 'auto' ? promiseHooks.createHook({ init: markDirty, settled: markDirty }) : null;
      const end = (failed?: { err: unknown }): void => {
        this.running = false;
        this.failure = null;
        stopHooks?.();
        if (failed === undefined) resolve();
        else reject(failed.err);
      };
      const step = (): void => {
        try {
          for (;;) {
            if (this.failure !== null) return end(this.failure);
            dirty = false;
            let top = heap.items[0];
            for (;;) {
              while (top !== undefined && !top.live) {
                heap.pop();
                this.cancelled--;
                top = heap.items[0];
              }
              // A far bucket that starts at or before the next event joins the heap first.
              const farAt = far.nextStart;
              if (farAt === Infinity || (top !== undefined && farAt > top.time)) break;
              far.moveFirst(heap, this);
              top = heap.items[0];
            }
            if (top === undefined || top.time > until) return end();
            const t = top.time;
            this.current = t;
            this.steps++;
            // Fire everything due at t, including events added at t while firing.
            while (top !== undefined && top.time === t) {
              heap.pop();
              if (!top.live) this.cancelled--;
              else {
                top.live = false; // a fired timer's cancel() is a no-op
                this.fired++;
                const task = top.task;
                if (task !== null) {
                  top.task = null;
                  task.fire();
                } else {
                  const fn = top.fn!;
                  top.fn = null;
                  fn();
                }
              }
              top = heap.items[0];
            }
            if (++sinceYield >= this.yieldEvery) {
              sinceYield = 0;
              setImmediate(step);
              return;
            }
            if (dirty || stopHooks === null) {
              void resolved.then(bounce);
              return;
            }
            this.syncSteps++; // nothing to drain: the next step runs at once
          }
        } catch (e) {
          end({ err: e });
        }
      };
      // A settled promise's then() queues one microtask (cheaper than queueMicrotask, which
      // wraps every callback in an AsyncResource).
      const resolved = Promise.resolve();
      const bounce = (): void => process.nextTick(step);
      let sinceYield = 0;
      setImmediate(step);
    });
  }
}
