import { RouterError } from '../core/errors.js';
import { selectEndpoint } from './select.js';
import { waitForRecovery } from '../health/recovery.js';
import { Attempt } from './attempt.js';
import type { RequestCtx, Runtime } from './context.js';

/**
 * Where the next attempt goes. Walk the request's model list from the current model: the
 * first model with a usable endpoint wins (moving down the list is a fallback). When no
 * model has one, wait for the earliest recovery within the deadline, or fail fast.
 * Hedges (`hedge: true`) never wait and never reuse an endpoint: they get null instead.
 */

/**
 * Synchronous part: an Attempt when something is usable now, else the clock time of the
 * earliest recovery (Infinity = unknown). No promise on the common path.
 */
export function acquireNow(rt: Runtime, ctx: RequestCtx, reason: string, hedge: boolean): Attempt | number {
  if (ctx.signal?.aborted) throw new RouterError('aborted', 'request aborted by the caller');
  const now = rt.clock.now();
  if (now >= ctx.deadline) throw new RouterError('timeout', `request deadline passed after ${now - ctx.startedAt} ms`);
  let earliest = Infinity;
  const waitUntil = recoveryWaitUntil(rt, ctx, now);
  for (let m = ctx.modelIdx; m < ctx.models.length; m++) {
    const group = rt.groups.get(ctx.models[m]!)!;
    const r = selectEndpoint(rt.env, group, ctx.req, now, ctx.tried, hedge, ctx.tokens, waitUntil);
    if (typeof r !== 'number') {
      const moved = m !== ctx.modelIdx;
      ctx.modelIdx = m;
      return new Attempt(rt, ctx, r, moved && !hedge ? 'fallback-model' : reason);
    }
    if (r < earliest) earliest = r;
  }
  return earliest;
}

/** The latest time this request may wait for a recovery: the cap is on its waiting in all, not per wait. */
function recoveryWaitUntil(rt: Runtime, ctx: RequestCtx, now: number): number {
  return Math.min(ctx.deadline, now + rt.config.health.maxRecoveryWaitMs - ctx.recoveryWaitedMs);
}

/** acquireNow, waiting for the earliest recovery (within the deadline) while nothing is usable. */
export async function acquire(rt: Runtime, ctx: RequestCtx, reason: string, hedge: boolean): Promise<Attempt | null> {
  for (;;) {
    const r = acquireNow(rt, ctx, reason, hedge);
    if (typeof r !== 'number') return r;
    if (hedge) return null;
    const h = rt.config.health;
    const from = rt.clock.now();
    const until = recoveryWaitUntil(rt, ctx, from);
    try {
      await waitForRecovery(rt.clock, r, until, h.waitForRecovery, ctx.models[ctx.modelIdx]!, ctx.signal);
    } finally {
      ctx.recoveryWaitedMs += rt.clock.now() - from;
    }
  }
}
