import type { RouterError } from '../core/errors.js';
import { fullJitterBackoff } from './backoff.js';
import type { RequestCtx, Runtime } from './context.js';
import { planNext } from './failover.js';

/**
 * Try again after a retryable failure, within `maxAttempts` (all attempts: retries,
 * failovers, fallback models, hedges), the request deadline and the retry budget.
 * Failover and fallback go out at once; re-trying an endpoint already tried waits a
 * full-jitter backoff first. Non-retryable errors (client 4xx, committed streams, caller
 * aborts, total timeout) and an exhausted budget surface the last error unchanged.
 */

/** Give up: surface the error. */
export const GIVE_UP = -1;

/**
 * Decide what follows a failed try: GIVE_UP, or the delay in ms (0 = at once) before the
 * next try. When it retries, it has taken the budget, emitted the `retry` event and set
 * `ctx.reason` for the next attempt.
 */
export function planRetry(rt: Runtime, ctx: RequestCtx, err: RouterError): number {
  const { maxAttempts, backoffBaseMs, backoffMaxMs } = rt.config.retry;
  if (!err.retryable || ctx.attemptCount >= maxAttempts) return GIVE_UP;
  const now = rt.clock.now();
  if (now >= ctx.deadline) return GIVE_UP;
  const kind = planNext(rt, ctx);
  if (!rt.budget.tryRetry(now)) return GIVE_UP;
  let delayMs = 0;
  if (kind === 'retry') {
    ctx.retries++;
    delayMs = Math.min(fullJitterBackoff(rt.random, ctx.retries, backoffBaseMs, backoffMaxMs), ctx.deadline - now);
  }
  if (rt.bus.active)
    rt.bus.emit({ type: 'retry', at: now, requestId: ctx.id, kind, attempt: ctx.attemptCount + 1, delayMs, errorCode: err.code });
  ctx.reason = kind;
  return delayMs;
}
