/**
 * sticky: the same session key goes to the same endpoint, via weighted rendezvous
 * (highest random weight) hashing (Thaler & Ravishankar 1998; weighted form as in
 * Schindelhauer & Schomaker 2005 and Resche "Weighted Rendezvous Hashing"):
 *   u_i   = pairUnit(hash(key), hash(id_i))   in (0, 1)
 *   score = w_i / -ln(u_i)       w_i = endpoint.weight * slowStart
 *   pick  = argmax score
 * Removing one of n endpoints moves only the keys that were on it (about 1/n of them);
 * adding one takes about w_new / Σw. No ring to build, no state. Requests without
 * request.sessionKey go to an inner strategy (params.fallback, default round-robin).
 */
import { z } from 'zod';
import { strategyRefSchema } from '../core/config.js';
import {
  assertCandidates,
  registerStrategy,
  type Pick,
  type PickContext,
  type Strategy,
  type StrategyDefinition,
  type StrategyDeps,
} from '../core/strategy.js';
import type { Candidate, RouteRequest } from '../core/types.js';
import { fnv1a32, pairUnit } from '../core/hash.js';
import { effectiveWeight } from './util.js';
import { createFallback } from './fallback.js';

const params = z.strictObject({
  /** Strategy for requests without a session key. */
  fallback: strategyRefSchema.default('round-robin'),
});

type Params = z.output<typeof params>;

class Sticky implements Strategy {
  readonly name = 'sticky';
  private readonly idHash = new Map<string, number>();
  constructor(private readonly fallback: Strategy) {}

  pick(candidates: readonly Candidate[], request: RouteRequest, ctx: PickContext): Pick {
    assertCandidates(candidates, this.name);
    const key = request.sessionKey;
    if (key === undefined || key === '') {
      const inner = this.fallback.pick(candidates, request, ctx);
      return { ...inner, reason: `no session key; ${this.fallback.name}: ${inner.reason ?? ''}` };
    }
    const kh = fnv1a32(key);
    let best = 0;
    let bestScore = -1;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      const w = effectiveWeight(c);
      if (!(w > 0)) continue;
      const score = w / -Math.log(pairUnit(kh, this.hashOf(c.endpoint.id)));
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    }
    return { index: best, reason: 'rendezvous hash of session key' };
  }

  private hashOf(id: string): number {
    let h = this.idHash.get(id);
    if (h === undefined) {
      h = fnv1a32(id);
      this.idHash.set(id, h);
    }
    return h;
  }
}

function createSticky(p: Params, deps: StrategyDeps): Strategy {
  return new Sticky(createFallback('sticky', p.fallback, deps));
}

export const stickyStrategy: StrategyDefinition<typeof params> = {
  name: 'sticky',
  optimises: 'session affinity (cache reuse): same key, same endpoint; ~1/n keys move when one of n leaves',
  needs: 'request.sessionKey (else the fallback strategy)',
  params,
  create: createSticky,
};

registerStrategy(stickyStrategy);
