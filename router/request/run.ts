import { RouterError, toRouterError } from '../core/errors.js';
import type { RouteResult } from './router.js';
import { buildTrace } from './select.js';
import type { RouteRequest } from '../core/types.js';
import type { Attempt } from './attempt.js';
import type { RouteSink } from '../core/direct.js';
import { RequestCtx, type Runtime, type Win } from './context.js';
import { startTry, type TryOwner } from './hedge.js';
import { requestFailed, requestWon } from './metrics.js';
import { GIVE_UP, planRetry } from './retry.js';
import { setRequestDeadline } from './timeout.js';

/**
 * Route one request, reporting to `sink` exactly once (direct.ts ROUTE_DIRECT; `route()`'s
 * promise is a sink too). The sink may be called before this returns.
 */
export function startRequest(
  rt: Runtime,
  req: RouteRequest,
  models: readonly string[],
  signal: AbortSignal | undefined,
  tokens: number,
  sink: RouteSink<RouteResult>,
): void {
  const run = new RequestRun(rt, req, models, signal, tokens, sink);
  try {
    run.start();
  } catch (e) {
    // The sink may be called from inside start(); if it threw, that is the caller's error.
    if (run.isFinished) throw e;
    run.abandon(toRouterError(e));
  }
}

/**
 * One request in flight: the driver of the layers (context.ts). It sets the deadline,
 * starts a try, and on each failed try asks the retry policy what follows: give up, try
 * again at once (failover, fallback model) or after a backoff on the clock. No promise on
 * the common path (route()'s own promise aside); attempts and hedges report back by
 * method calls, so a request that succeeds at the first attempt allocates little beyond
 * its context, its attempt and the result.
 */
export class RequestRun extends RequestCtx implements TryOwner {
  private finished = false;

  constructor(
    private readonly rt: Runtime,
    req: RouteRequest,
    models: readonly string[],
    signal: AbortSignal | undefined,
    tokens: number,
    /** Hears the outcome, once. */
    private readonly sink: RouteSink<RouteResult>,
  ) {
    super(req, req.id, models, rt.clock.now(), signal, tokens);
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** Start routing: total timeout, retry budget, first try. */
  start(): void {
    const rt = this.rt;
    this.observed = rt.bus.active;
    setRequestDeadline(rt, this);
    rt.budget.onRequest(rt.clock.now());
    startTry(rt, this, this);
  }

  attemptWon(_a: Attempt, win: Win): void {
    this.tryWon(win);
  }

  attemptFailed(_a: Attempt, err: RouterError): void {
    this.tryFailed(err);
  }

  tryWon(win: Win): void {
    if (this.finished) return;
    this.finished = true;
    requestWon(this.rt, this, win);
    const result: RouteResult = {
      endpoint: win.attempt.slot.endpoint,
      model: win.attempt.model,
      response: win.response,
      attempts: this.attempts,
      trace: buildTrace(this.id, this.rt.env.strategy.name, this.picks, this.attempts),
    };
    if (win.stream !== undefined) result.stream = win.stream;
    this.sink.routeDone(result);
  }

  tryFailed(e: unknown): void {
    if (this.finished) return;
    const err = toRouterError(e);
    const delayMs = planRetry(this.rt, this, err);
    if (delayMs === GIVE_UP) return this.fail(err);
    if (delayMs <= 0) return startTry(this.rt, this, this);
    this.rt.clock.sleep(delayMs, this.signal).then(
      () => startTry(this.rt, this, this),
      () => this.fail(new RouterError('aborted', 'request aborted by the caller', { cause: err })),
    );
  }

  /** Start failed unexpectedly: reject with the error. */
  abandon(err: RouterError): void {
    if (this.finished) return;
    this.finished = true;
    err.attempts = this.attempts;
    this.sink.routeFailed(err);
  }

  private fail(err: RouterError): void {
    this.finished = true;
    requestFailed(this.rt, this, err);
    err.attempts = this.attempts;
    this.sink.routeFailed(err);
  }
}
