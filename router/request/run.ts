import type { RouteSink } from '../core/direct.js';
import { RouterError, toRouterError } from '../core/errors.js';
import type { RouteResult } from '../core/router-types.js';
import type { DecisionTrace, RouteRequest, TransportResponse } from '../core/types.js';
import type { Attempt } from './attempt.js';
import { RequestCtx, STAGE_BITS, STAGES, type RecordedStreamLike, type RequestStage, type Runtime } from './context.js';
import { GIVE_UP, planRetry } from './retry.js';
import { buildTrace } from './select.js';
import { startTry, type TryOwner } from './try.js';

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
 * The REQUEST stage (context.ts lists the stages). Its own states, in `stage`:
 *   'start'    built, not started;
 *   'try'      a try is in flight (try.ts), which reports tryWon / tryFailed once;
 *   'backoff'  a try failed and the retry policy (below) asked for a delay before the next;
 *   'done'     the sink heard the outcome; anything arriving later is ignored.
 *
 * One request in flight: the driver of the stages. It sets the deadline,
 * starts a try, and on each failed try asks the retry policy what follows: give up, try
 * again at once (failover, fallback model) or after a backoff on the clock. No promise on
 * the common path (route()'s own promise aside); attempts and hedges report back by
 * method calls, so a request that succeeds at the first attempt allocates little beyond
 * its context, its attempt and the result.
 */
export class RequestRun extends RequestCtx implements TryOwner {
  /** The stage ('start' when built), kept in RequestCtx.bits. */
  get stage(): RequestStage {
    return STAGES[this.bits & STAGE_BITS]!;
  }

  set stage(s: RequestStage) {
    this.bits = (this.bits & ~STAGE_BITS) | STAGES.indexOf(s);
  }

  constructor(
    rt: Runtime,
    req: RouteRequest,
    models: readonly string[],
    signal: AbortSignal | undefined,
    tokens: number,
    /** Hears the outcome, once. */
    private readonly sink: RouteSink<RouteResult>,
  ) {
    super(rt, req, models, rt.clock.now(), signal, tokens);
  }

  get isFinished(): boolean {
    return this.stage === 'done';
  }

  /** Start routing: total timeout, retry budget, first try. */
  start(): void {
    const rt = this.rt;
    this.observed = rt.bus.active;
    setRequestDeadline(rt, this);
    rt.budget.onRequest(rt.clock.now());
    this.stage = 'try';
    startTry(rt, this, this);
  }

  attemptWon(a: Attempt, response: TransportResponse, stream: RecordedStreamLike | undefined): void {
    this.tryWon(a, response, stream);
  }

  attemptFailed(_a: Attempt, err: RouterError): void {
    this.tryFailed(err);
  }

  tryWon(a: Attempt, response: TransportResponse, stream: RecordedStreamLike | undefined): void {
    if (this.stage === 'done') return;
    this.stage = 'done';
    // Every attempt has stopped listening (the winner settled or committed, a hedge's loser failed):
    // the signal is not read again, and an open stream would keep it (an EventTarget) alive.
    this.signal = undefined;
    requestWon(this.rt, this, a, stream);
    this.sink.routeDone(new RouteWon(a, response, this, this.rt.env.strategy.name, stream));
  }

  tryFailed(e: unknown): void {
    if (this.stage === 'done') return;
    const err = toRouterError(e);
    const delayMs = planRetry(this.rt, this, err);
    if (delayMs === GIVE_UP) return this.fail(err);
    if (delayMs <= 0) return startTry(this.rt, this, this);
    this.stage = 'backoff';
    this.rt.clock.sleep(delayMs, this.signal).then(
      () => {
        this.stage = 'try';
        startTry(this.rt, this, this);
      },
      () => this.fail(new RouterError('aborted', 'request aborted by the caller', { cause: err })),
    );
  }

  /** Start failed unexpectedly: reject with the error. */
  abandon(err: RouterError): void {
    if (this.stage === 'done') return;
    this.stage = 'done';
    err.attempts = this.attempts;
    this.sink.routeFailed(err);
  }

  private fail(err: RouterError): void {
    this.stage = 'done';
    this.signal = undefined; // no attempt listens any more (each failed), nor a backoff sleep
    requestFailed(this.rt, this, err);
    err.attempts = this.attempts;
    this.sink.routeFailed(err);
  }
}

/**
 * A successful route's result: one class, so every result has the same shape. Its `trace` is an
 * own property, as in a plain RouteResult object, so a spread copy (`{ ...result }`) or
 * Object.keys sees the same fields as before; the trace itself (select.ts buildTrace) builds its
 * per-candidate view only when first read. (A getter on the class saved that one small object
 * per request, but a spread copy then had no `trace`, which its type promises.)
 */
class RouteWon implements RouteResult {
  readonly endpoint: RouteResult['endpoint'];
  readonly model: string;
  readonly attempts: RouteResult['attempts'];
  declare stream?: RecordedStreamLike;
  readonly trace: DecisionTrace;

  constructor(
    a: Attempt,
    readonly response: TransportResponse,
    ctx: RequestCtx,
    strategy: string,
    stream: RecordedStreamLike | undefined,
  ) {
    this.endpoint = a.slot.endpoint;
    this.model = a.model;
    this.attempts = ctx.attempts;
    this.trace = buildTrace(ctx, strategy, ctx.attempts);
    if (stream !== undefined) this.stream = stream;
  }

  toJSON(): RouteResult {
    const r: RouteResult = { endpoint: this.endpoint, model: this.model, response: this.response, attempts: this.attempts, trace: this.trace };
    if (this.stream !== undefined) r.stream = this.stream;
    return r;
  }
}

// ---- request-end events (the outermost layer)

/**
 * The outermost layer: one `request-end` event per request (for a stream: when the
 * stream ends). Attempt-level events are emitted where the outcome is recorded
 * (attempt.ts recordOutcome). Costs nothing when no listener is attached: a request is observed only
 * if someone listened when it started (`ctx.observed`) and still listens when it ends.
 */
function end(rt: Runtime, ctx: RequestCtx, ok: boolean, endpointId: string | undefined, errorCode: string | undefined): void {
  const at = rt.clock.now();
  rt.bus.emit({ type: 'request-end', at, requestId: ctx.id, ok, attempts: ctx.attemptCount, latencyMs: at - ctx.startedAt, endpointId, errorCode });
}

/** The request succeeded (a stream: its first chunk arrived; the event follows at its end). */
export function requestWon(rt: Runtime, ctx: RequestCtx, a: Attempt, stream: RecordedStreamLike | undefined): void {
  if (!ctx.observed || !rt.bus.active) return;
  const id = a.slot.endpoint.id;
  if (stream === undefined) end(rt, ctx, true, id, undefined);
  else stream.onDone = (ok, code) => end(rt, ctx, ok, id, code);
}

/** The request failed with `err`. */
export function requestFailed(rt: Runtime, ctx: RequestCtx, err: RouterError): void {
  if (ctx.observed && rt.bus.active) end(rt, ctx, false, err.endpointId, err.code);
}

// ---- the total deadline (see the deadlines in context.ts)

/** Total timeout: set the request's absolute deadline (Infinity = none). */
export function setRequestDeadline(rt: Runtime, ctx: RequestCtx): void {
  const ms = ctx.req.deadlineMs ?? rt.config.timeouts.totalMs;
  ctx.totalMs = ms > 0 ? ms : 0;
}
