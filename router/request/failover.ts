import type { RequestCtx, Runtime } from './context.js';

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
  group.scan(rt.clock.now(), ctx.tokens);
  const panic = group.panic(rt.config.health.panicThreshold);
  if (ctx.tried === null || group.hasUntried(ctx.tried, panic)) return 'failover';
  if (ctx.modelIdx + 1 < ctx.models.length) {
    ctx.modelIdx++;
    return 'fallback-model';
  }
  return 'retry';
}
