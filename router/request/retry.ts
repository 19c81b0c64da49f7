import type { RouterError } from '../core/errors.js';
import type { Random } from '../core/random.js';
import type { RequestCtx, Runtime } from './context.js';

/**
 * The REQUEST stage's retry policy (run.ts asks it after every failed try): give up,
 * fail over / fall back at once, or retry after a full-jitter backoff.
 */

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

// ---- failover: which kind of next attempt

/**
 * What kind of "next attempt" a failed try calls for:
 *   'failover'        an endpoint of the same model this request has not tried is usable:
 *                     go there at once (a different endpoint needs no backoff);
 *   'fallback-model'  every endpoint of this model was tried: move down the fallback list;
 *   'retry'           nothing new is left: try an already-tried endpoint again, after backoff.
 */
export type NextKind = 'failover' | 'fallback-model' | 'retry';

export function planNext(rt: Runtime, ctx: RequestCtx): NextKind {
  const group = rt.groups.get(ctx.models[ctx.modelIdx]!)!;
  const scan = group.scan(rt.clock.now(), ctx.tokens, rt.config.health.panicThreshold);
  if (ctx.tried === null || scan.hasUntried(ctx.tried)) return 'failover';
  if (ctx.modelIdx + 1 < ctx.models.length) {
    ctx.modelIdx++;
    return 'fallback-model';
  }
  return 'retry';
}

// ---- backoff

/**
 * Exponential backoff with "full jitter" (AWS Architecture Blog, 2015): spreading retries
 * uniformly over [0, cap) de-synchronises clients that failed together.
 *
 *   delay(n) = U[0, 1) * min(maxMs, baseMs * 2^(n - 1))      n = 1 for the first retry
 */
export function fullJitterBackoff(random: Random, n: number, baseMs: number, maxMs: number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.max(0, n - 1));
  return random.next() * cap;
}
