import { RouterError } from '../core/errors.js';
import { acquire, acquireNow } from './acquire.js';
import type { Attempt } from './attempt.js';
import type { AttemptHandler, Handler, RequestCtx, Runtime, Win } from './context.js';

/**
 * One "try" of a request: pick an endpoint and run the attempt. With hedging on (Dean &
 * Barroso, "The Tail at Scale"): if the first attempt has no first byte after delayMs,
 * start a second one on another endpoint; the first success wins and the loser is aborted
 * through its signal. A hedge counts toward maxAttempts and spends the retry budget, so
 * hedging cannot double the load on a struggling fleet.
 */
export function hedgeLayer(rt: Runtime): (attempt: AttemptHandler) => Handler {
  const { enabled, delayMs } = rt.config.hedging;
  const { maxAttempts } = rt.config.retry;
  return (attempt) => {
    const single = (ctx: RequestCtx): Promise<Win> => {
      const now = acquireNow(rt, ctx, ctx.reason, false);
      if (typeof now !== 'number') return attempt(ctx, now);
      return acquire(rt, ctx, ctx.reason, false).then((a) => attempt(ctx, a!));
    };
    if (!enabled) return single;
    return async (ctx) => {
      const a = (await acquire(rt, ctx, ctx.reason, false))!;
      if (ctx.attemptCount >= maxAttempts) return attempt(ctx, a);
      return new Hedge(rt, ctx, attempt, delayMs, maxAttempts).run(a);
    };
  };
}

/** The race between a primary attempt and (maybe) its hedge. */
class Hedge {
  private readonly racing: Attempt[] = [];
  private pending = 0;
  private done = false;
  private hedgeDue = true;
  private timer: { cancel(): void } | null = null;
  private resolve!: (w: Win) => void;
  private reject!: (e: unknown) => void;

  constructor(
    private readonly rt: Runtime,
    private readonly ctx: RequestCtx,
    private readonly attempt: AttemptHandler,
    private readonly delayMs: number,
    private readonly maxAttempts: number,
  ) {}

  run(primary: Attempt): Promise<Win> {
    return new Promise<Win>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.start(primary);
      this.timer = this.rt.clock.setTimeout(() => void this.fireHedge(primary), this.delayMs);
    });
  }

  private start(a: Attempt): void {
    this.racing.push(a);
    this.pending++;
    this.attempt(this.ctx, a).then(
      (w) => this.onWin(w),
      (e: unknown) => this.onFail(e),
    );
  }

  private async fireHedge(primary: Attempt): Promise<void> {
    this.timer = null;
    if (this.done) return;
    const rt = this.rt;
    let b: Attempt | null = null;
    try {
      if (primary.settled || this.ctx.attemptCount >= this.maxAttempts || !rt.budget.tryRetry(rt.clock.now())) b = null;
      else b = await acquire(rt, this.ctx, 'hedge', true);
    } catch {
      b = null; // no hedge possible (deadline, abort): the primary decides alone
    }
    this.hedgeDue = false;
    if (b === null) {
      if (this.pending === 0 && !this.done) this.finishFail(this.lastError);
      return;
    }
    if (this.done) {
      b.fail(new RouterError('aborted', 'hedge no longer needed', { endpointId: b.slot.endpoint.id }));
      return;
    }
    if (rt.bus.active) rt.bus.emit({ type: 'hedge', at: rt.clock.now(), requestId: this.ctx.id, primaryEndpointId: primary.slot.endpoint.id });
    this.start(b);
  }

  private lastError: unknown;

  private onWin(w: Win): void {
    this.pending--;
    if (this.done) {
      // Lost the race by a hair: release its stream.
      void w.stream?.[Symbol.asyncIterator]().return?.();
      return;
    }
    this.done = true;
    this.timer?.cancel();
    for (const other of this.racing)
      if (other !== w.attempt)
        other.fail(new RouterError('aborted', 'hedge lost the race', { endpointId: other.slot.endpoint.id }));
    this.resolve(w);
  }

  private onFail(e: unknown): void {
    this.pending--;
    if (this.done) return;
    this.lastError = e;
    const fatal = e instanceof RouterError && !e.retryable;
    if (fatal || (this.pending === 0 && !this.hedgeDue) || (this.pending === 0 && this.timer !== null)) {
      // Nothing else is racing (or the error says no one will do better): give up this try.
      this.finishFail(e);
    }
  }

  private finishFail(e: unknown): void {
    this.done = true;
    this.timer?.cancel();
    for (const other of this.racing)
      other.fail(new RouterError('aborted', 'hedge cancelled', { endpointId: other.slot.endpoint.id }));
    this.reject(e);
  }
}
