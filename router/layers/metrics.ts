import { toRouterError } from '../core/errors.js';
import type { Layer, RequestCtx, Runtime } from './context.js';

/**
 * The outermost layer: one `request-end` event per request (for a stream: when the
 * stream ends). Attempt-level events are emitted where the outcome is recorded
 * (outcome.ts). Costs nothing when no listener is attached.
 */
export function metricsLayer(rt: Runtime): Layer {
  const end = (ctx: RequestCtx, ok: boolean, endpointId: string | undefined, errorCode: string | undefined): void => {
    const at = rt.clock.now();
    rt.bus.emit({ type: 'request-end', at, requestId: ctx.id, ok, attempts: ctx.attemptCount, latencyMs: at - ctx.startedAt, endpointId, errorCode });
  };
  return (next) => (ctx) => {
    // Nobody listens: no events to build, and the router converts errors itself.
    if (!rt.bus.active) return next(ctx);
    return next(ctx).then(
      (win) => {
        if (rt.bus.active) {
          const id = win.attempt.slot.endpoint.id;
          if (win.stream === undefined) end(ctx, true, id, undefined);
          else win.stream.onDone = (ok, code) => end(ctx, ok, id, code);
        }
        return win;
      },
      (e: unknown) => {
        const err = toRouterError(e);
        if (rt.bus.active) end(ctx, false, err.endpointId, err.code);
        throw err;
      },
    );
  };
}
