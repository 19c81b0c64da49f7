import type { Attempt } from './attempt.js';
import type { RequestCtx, Runtime } from './context.js';

/**
 * Two deadlines, both on the injected clock:
 *   total: the whole request (all attempts, backoffs, waits, and the stream) ends by
 *          startedAt + (request.deadlineMs ?? timeouts.totalMs);
 *   TTFT:  each attempt must produce its first byte within timeouts.ttftMs, else it is
 *          aborted as ttft_timeout (retryable: the next attempt may be faster).
 *   stall: once a stream started, the gap between two chunks (stallTimeoutMs; checked by
 *          the RecordedStream, stream.ts).
 * 0 disables a deadline. The attempt timer fires at whichever deadline comes first.
 */

/** Total timeout: set the request's absolute deadline (Infinity = none). */
export function setRequestDeadline(rt: Runtime, ctx: RequestCtx): void {
  const ms = ctx.req.deadlineMs ?? rt.config.timeouts.totalMs;
  ctx.deadline = ms > 0 ? ctx.startedAt + ms : Infinity;
}

/** TTFT timeout: arm the attempt's timer at the earlier of its TTFT deadline and the request's. */
export function armAttemptTimer(rt: Runtime, ctx: RequestCtx, a: Attempt): void {
  const ttftMs = rt.config.timeouts.ttftMs;
  const ttftAt = ttftMs > 0 ? a.startedAt + ttftMs : Infinity;
  if (ttftAt < ctx.deadline) a.arm(ttftAt, 'ttft_timeout');
  else a.arm(ctx.deadline, 'timeout');
}

/** The stall timeout of a stream from `a`'s endpoint, ms (Infinity = off): fixed, or derived from its observed ms per token. */
export function stallTimeoutMs(rt: Runtime, a: Attempt): number {
  const t = rt.config.timeouts;
  if (t.stallMs !== undefined) return t.stallMs > 0 ? t.stallMs : Infinity;
  const perToken = a.slot.stats.msPerToken;
  const ms = perToken === null ? t.stallMinMs : Math.max(t.stallMinMs, t.stallTokens * perToken);
  return ms > 0 ? ms : Infinity;
}
