import type { AttemptLayer, Layer, Runtime } from './context.js';

/**
 * Two deadlines, both on the injected clock:
 *   total: the whole request (all attempts, backoffs, waits, and the stream) ends by
 *          startedAt + (request.deadlineMs ?? timeouts.totalMs);
 *   TTFT:  each attempt must produce its first byte within timeouts.ttftMs, else it is
 *          aborted as ttft_timeout (retryable: the next attempt may be faster).
 * 0 disables a deadline. The attempt timer fires at whichever deadline comes first.
 */
export function totalTimeoutLayer(rt: Runtime): Layer {
  const totalMs = rt.config.timeouts.totalMs;
  return (next) => (ctx) => {
    const ms = ctx.req.deadlineMs ?? totalMs;
    ctx.deadline = ms > 0 ? ctx.startedAt + ms : Infinity;
    return next(ctx);
  };
}

export function ttftTimeoutLayer(rt: Runtime): AttemptLayer {
  const ttftMs = rt.config.timeouts.ttftMs;
  return (next) => (ctx, a) => {
    const ttftAt = ttftMs > 0 ? a.startedAt + ttftMs : Infinity;
    if (ttftAt < ctx.deadline) a.arm(ttftAt, 'ttft_timeout');
    else a.arm(ctx.deadline, 'timeout');
    return next(ctx, a);
  };
}
