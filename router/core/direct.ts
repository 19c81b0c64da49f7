import type { Timer } from './clock.js';
import type { RouterError } from './errors.js';
import type { Endpoint, RouteRequest, TransportResponse } from './types.js';

/**
 * An optional, promise-free way to send an attempt (the virtual-time simulator's transport
 * and the undici transport implement it). `Transport.send` costs a promise, its reactions, and an
 * AbortController per attempt; at a million simulated requests that allocation is most of
 * the router's cost (the GC copies every in-flight attempt). A transport that implements
 * `[SEND_DIRECT]` is handed the attempt itself as both the abort handle and the sink.
 * A transport without it keeps the ordinary `send`.
 *
 * Contract: return false to decline (the router then calls `send`). When it returns
 * true, exactly one of the sink's methods is called later, never from inside the call.
 */
export const SEND_DIRECT: unique symbol = Symbol.for('llm-router.sendDirect');

/** Receives the outcome of a direct send: the same values `send`'s promise would settle with. */
export interface UpstreamSink {
  upstreamResponse(res: TransportResponse): void;
  upstreamError(e: unknown): void;
}

/** Something that reacts to an abort at once (a hang, an open stream). */
export interface AbortListener {
  handleAbort(): void;
}

/** The abort side of a direct send: what an AbortSignal offers, without the EventTarget. */
export interface UpstreamHandle {
  readonly aborted: boolean;
  /** Why it was aborted (like AbortSignal.reason); undefined before. */
  readonly abortReason: unknown;
  /** Set by the transport while an abort must be acted on at once; null to stop listening. */
  abortListener: AbortListener | null;
}

export interface DirectTransport {
  [SEND_DIRECT](endpoint: Endpoint, request: RouteRequest, handle: UpstreamHandle, sink: UpstreamSink): boolean;
}

export function hasDirectSend(t: object): t is DirectTransport {
  return typeof (t as Partial<DirectTransport>)[SEND_DIRECT] === 'function';
}

/** What AbortController.abort() uses as the reason when none is given. */
export function defaultAbortReason(): unknown {
  return new DOMException('This operation was aborted', 'AbortError');
}

/**
 * An optional clock capability, for the same reason: run `task.fire()` after `ms` (exactly
 * like `setTimeout(() => task.fire(), ms)`) without a closure or a handle object per timer:
 * the clock keeps what it needs to cancel the timer in the task's own `timerHandle` field.
 * The virtual-time engine's clock has it (a timer far ahead costs it no object at all until
 * it is nearly due); the system clock keeps its Node timer there. The attempt's deadline
 * timer uses it when present.
 */
export const SET_TIMEOUT_TASK: unique symbol = Symbol.for('llm-router.setTimeoutTask');
export const CLEAR_TIMEOUT_TASK: unique symbol = Symbol.for('llm-router.clearTimeoutTask');

export interface TimerTask {
  fire(): void;
  /**
   * The clock's, while a timer set through SET_TIMEOUT_TASK is pending (null when none):
   * nothing else reads or writes it, except that the task may null it once its timer fired.
   */
  timerHandle: unknown;
}

export interface TaskClock {
  /** Call `task.fire()` after `ms`. At most one pending timer per task. */
  [SET_TIMEOUT_TASK](task: TimerTask, ms: number): void;
  /** Cancel the task's pending timer, and null its handle (nothing when none is pending). */
  [CLEAR_TIMEOUT_TASK](task: TimerTask): void;
}

/**
 * The same idea one level up: route a request without a promise. `createRouter`'s router
 * has a `[ROUTE_DIRECT](req, sink)` method doing exactly what `route(req)` does, except
 * that the outcome goes to the sink (exactly once; possibly before the call returns, e.g.
 * an unknown model) instead of settling a promise. The virtual-time engine uses it so a
 * request that needs no stream creates no promise at all (simulator/run.ts).
 */
export const ROUTE_DIRECT: unique symbol = Symbol.for('llm-router.routeDirect');

/** Receives a direct route's outcome: what `route()`'s promise would settle with. */
export interface RouteSink<R> {
  routeDone(result: R): void;
  routeFailed(err: RouterError): void;
}
