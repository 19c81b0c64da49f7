import { RouterError, toRouterError } from '../core/errors.js';
import { fullJitterBackoff } from './backoff.js';
import type { Layer, RequestCtx, Runtime, Win } from './context.js';
import { planNext } from './failover.js';

/**
 * Try again after a retryable failure, within `maxAttempts` (all attempts: retries,
 * failovers, fallback models, hedges), the request deadline and the retry budget.
 * Failover and fallback go out at once; re-trying an endpoint already tried waits a
 * full-jitter backoff first. Non-retryable errors (client 4xx, committed streams, caller
 * aborts, total timeout) and an exhausted budget surface the last error unchanged.
 */
export function retryLayer(rt: Runtime): Layer {
  const { maxAttempts, backoffBaseMs, backoffMaxMs } = rt.config.retry;
  return (next) => {
    const loop = async (ctx: RequestCtx): Promise<Win> => {
      let retries = 0;
      rt.budget.onRequest(rt.clock.now());
      for (;;) {
        try {
          return await next(ctx);
        } catch (e) {
          const err = toRouterError(e);
          if (!err.retryable || ctx.attemptCount >= maxAttempts) throw err;
          const now = rt.clock.now();
          if (now >= ctx.deadline) throw err;
          const kind = planNext(rt, ctx);
          if (!rt.budget.tryRetry(now)) throw err;
          let delayMs = 0;
          if (kind === 'retry') {
            retries++;
            delayMs = Math.min(fullJitterBackoff(rt.random, retries, backoffBaseMs, backoffMaxMs), ctx.deadline - now);
          }
          if (rt.bus.active)
            rt.bus.emit({ type: 'retry', at: now, requestId: ctx.id, kind, attempt: ctx.attemptCount + 1, delayMs, errorCode: err.code });
          ctx.reason = kind;
          if (delayMs > 0) {
            try {
              await rt.clock.sleep(delayMs, ctx.signal);
            } catch {
              throw new RouterError('aborted', 'request aborted by the caller', { cause: err });
            }
          }
        }
      }
    };
    return loop;
  };
}
