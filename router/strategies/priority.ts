/**
 * priority: an ordered failover chain. Rank order:
 *   1. position in params.order (endpoint ids), listed ones first;
 *   2. endpoint.priority (lower first);
 *   3. config order (candidate index).
 * The first available candidate in that order wins. The router has normally removed the
 * unavailable ones already; in panic mode it passes all, and then available ones still go
 * first, and if none is available the chain head is used.
 */
import { z } from 'zod';
import { assertCandidates, registerStrategy, type Pick, type Strategy, type StrategyDefinition } from '../core/strategy.js';
import type { Candidate } from '../core/types.js';

const params = z.strictObject({
  /** Explicit chain of endpoint ids, tried first in this order. */
  order: z.array(z.string().min(1)).default([]),
});

class Priority implements Strategy {
  readonly name = 'priority';
  private readonly rank: Map<string, number>;
  constructor(order: readonly string[]) {
    this.rank = new Map(order.map((id, i) => [id, i]));
  }

  pick(candidates: readonly Candidate[]): Pick {
    assertCandidates(candidates, this.name);
    let best = 0;
    let bestAvail = false;
    let bestRank = Infinity;
    let bestPrio = Infinity;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      const avail = c.health.available;
      const rank = this.rank.get(c.endpoint.id) ?? Infinity;
      const prio = c.endpoint.priority;
      // Strictly better only, so config order settles full ties.
      const better =
        avail !== bestAvail ? avail : rank !== bestRank ? rank < bestRank : prio < bestPrio;
      if (i === 0 || better) {
        best = i;
        bestAvail = avail;
        bestRank = rank;
        bestPrio = prio;
      }
    }
    return { index: best, reason: bestAvail ? 'first available in priority order' : 'none available; chain head' };
  }
}

export const priorityStrategy: StrategyDefinition<typeof params> = {
  name: 'priority',
  optimises: 'a preferred primary, with ordered failover to backups',
  needs: 'endpoint.priority or params.order',
  params,
  create: (p) => new Priority(p.order),
  endpointRefs: (p) => p.order.map((id, i) => [`order[${i}]`, id] as const),
};

registerStrategy(priorityStrategy);
