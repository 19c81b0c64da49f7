import { RouterError, toRouterError } from '../core/errors.js';
import type { RouteResult } from '../core/router.js';
import { buildTrace } from '../core/select.js';
import type { RouteRequest } from '../core/types.js';
import type { Attempt } from './attempt.js';
import type { RouteSink } from './direct.js';
import { RequestCtx, type Runtime, type Win } from './context.js';
import { startTry, type TryOwner } from './hedge.js';
import { requestFailed, requestWon } from './metrics.js';
import { GIVE_UP, planRetry } from './retry.js';
import { setRequestDeadline } from './timeout.js';

const noop = (): void => undefined;
/** The run whose promise is being created (one shared executor instead of a closure per request). */
let adopting: RequestRun | null = null;

/** Route one request, reporting to `sink` instead of a promise (direct.ts ROUTE_DIRECT). */
export function startRequestDirect(
  rt: Runtime,
  req: RouteRequest,
  models: readonly string[],
  signal: AbortSignal | undefined,
  tokens: number,
  sink: RouteSink<RouteResult>,
): void {
  const run = new RequestRun(rt, req, models, signal, tokens);
  run.sink = sink;
  try {
    run.start();
  } catch (e) {
    // The sink may be called from inside start(); if it threw, that is the caller's error.
    if (run.isFinished) throw e;
    run.abandon(toRouterError(e));
  }
}

/** Route one request: its promise, settled once with the result or a RouterError. */
export function startRequest(
  rt: Runtime,
  req: RouteRequest,
  models: readonly string[],
  signal: AbortSignal | undefined,
  tokens: number,
): Promise<RouteResult> {
  const run = new RequestRun(rt, req, models, signal, tokens);
  adopting = run;
  const promise = new Promise<RouteResult>(RequestRun.adopt);
  adopting = null;
  try {
    run.start();
  } catch (e) {
    run.abandon(toRouterError(e));
  }
  return promise;
}

/**
 * One request in flight: the driver of the layers (context.ts). It sets the deadline,
 * starts a try, and on each failed try asks the retry policy what follows: give up, try
 * again at once (failover, fallback model) or after a backoff on the clock. The request's
 * promise is the only promise on the common path; attempts and hedges report back by
 * method calls, so a request that succeeds at the first attempt allocates little beyond
 * its context, its attempt and the result.
 */
export class RequestRun extends RequestCtx implements TryOwner {
  private finished = false;
  /** The request promise's resolving functions (set by startRequest). */
  private resolve: (r: RouteResult) => void = noop;
  private reject: (err: RouterError) => void = noop;
  /** Set instead of resolve/reject for a direct route (startRequestDirect). */
  sink: RouteSink<RouteResult> | null = null;

  constructor(
    private readonly rt: Runtime,
    req: RouteRequest,
    models: readonly string[],
    signal: AbortSignal | undefined,
    tokens: number,
  ) {
    super(req, req.id, models, rt.clock.now(), signal, tokens);
  }

  /** @internal The executor of the request's promise (see startRequest). */
  static adopt(resolve: (r: RouteResult) => void, reject: (err: RouterError) => void): void {
    const run = adopting!;
    run.resolve = resolve;
    run.reject = reject;
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
    if (this.sink !== null) this.sink.routeDone(result);
    else this.resolve(result);
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
    this.settleFailed(err);
  }

  private settleFailed(err: RouterError): void {
    if (this.sink !== null) this.sink.routeFailed(err);
    else this.reject(err);
  }

  private fail(err: RouterError): void {
    this.finished = true;
    requestFailed(this.rt, this, err);
    this.settleFailed(err);
  }
}
