/**
 * nginx's smooth weighted round robin (nginx src/http/ngx_http_upstream_round_robin.c,
 * ngx_http_upstream_get_peer, since nginx 1.3.1):
 *
 *   for each peer:  current_i += w_i ;  total += w_i
 *   best = argmax_i current_i            (first index wins a tie)
 *   current_best -= total
 *
 * Over any Σw consecutive picks with fixed weights each peer is picked exactly w_i times,
 * interleaved (3:1:1 gives a a b a c, not a a a b c). Deterministic: no randomness.
 * State: one number per endpoint id, so candidate sets may change between picks.
 */
import type { Candidate } from '../core/types.js';
import { sane } from './util.js';
import type { WeightOf } from './weights.js';

interface Slot {
  current: number;
}

export class SmoothWeightedRoundRobin {
  private readonly slots = new Map<string, Slot>();

  /** The picked index, or -1 when every weight is 0 (the caller decides the fallback). */
  pick(candidates: readonly Candidate[], weightOf: WeightOf): number {
    let total = 0;
    let best = -1;
    let bestSlot: Slot | undefined;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      const w = sane(weightOf(c, i));
      if (w === 0) continue;
      let slot = this.slots.get(c.endpoint.id);
      if (slot === undefined) {
        slot = { current: 0 };
        this.slots.set(c.endpoint.id, slot);
      }
      slot.current += w;
      total += w;
      if (bestSlot === undefined || slot.current > bestSlot.current) {
        best = i;
        bestSlot = slot;
      }
    }
    if (bestSlot !== undefined) bestSlot.current -= total;
    return best;
  }

  /** Forget all state (tests, config reload). */
  reset(): void {
    this.slots.clear();
  }
}
