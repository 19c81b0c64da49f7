import type { RouterError } from '../core/errors.js';
import type { RequestCtx, Runtime, Win } from './context.js';

/**
 * The outermost layer: one `request-end` event per request (for a stream: when the
 * stream ends). Attempt-level events are emitted where the outcome is recorded
 * (outcome.ts). Costs nothing when no listener is attached: a request is observed only
 * if someone listened when it started (`ctx.observed`) and still listens when it ends.
 */
function end(rt: Runtime, ctx: RequestCtx, ok: boolean, endpointId: string | undefined, errorCode: string | undefined): void {
  const at = rt.clock.now();
  rt.bus.emit({ type: 'request-end', at, requestId: ctx.id, ok, attempts: ctx.attemptCount, latencyMs: at - ctx.startedAt, endpointId, errorCode });
}

/** The request succeeded (a stream: its first chunk arrived; the event follows at its end). */
export function requestWon(rt: Runtime, ctx: RequestCtx, win: Win): void {
  if (!ctx.observed || !rt.bus.active) return;
  const id = win.attempt.slot.endpoint.id;
  if (win.stream === undefined) end(rt, ctx, true, id, undefined);
  else win.stream.onDone = (ok, code) => end(rt, ctx, ok, id, code);
}

/** The request failed with `err`. */
export function requestFailed(rt: Runtime, ctx: RequestCtx, err: RouterError): void {
  if (ctx.observed && rt.bus.active) end(rt, ctx, false, err.endpointId, err.code);
}
