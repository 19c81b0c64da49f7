/**
 * round-robin: every available endpoint in turn. Implemented as "least recently picked"
 * (one sequence number per endpoint id) rather than a bare counter modulo n, so the order
 * stays a clean cycle when the candidate set changes (an ejection, a second model group
 * sharing this instance) and a returning endpoint rejoins at once instead of shifting others.
 *   pick = argmin_i lastPicked[id_i]   (never picked = -1; ties -> config order)
 */
import { z } from 'zod';
import { assertCandidates, registerStrategy, type Pick, type Strategy, type StrategyDefinition } from '../core/strategy.js';
import type { Candidate } from '../core/types.js';

const params = z.strictObject({});

class RoundRobin implements Strategy {
  readonly name = 'round-robin';
  private seq = 0;
  private readonly lastPicked = new Map<string, number>();

  pick(candidates: readonly Candidate[]): Pick {
    assertCandidates(candidates, this.name);
    let best = 0;
    let bestSeq = Infinity;
    for (let i = 0; i < candidates.length; i++) {
      const s = this.lastPicked.get(candidates[i]!.endpoint.id) ?? -1;
      if (s < bestSeq) {
        best = i;
        bestSeq = s;
      }
    }
    this.lastPicked.set(candidates[best]!.endpoint.id, this.seq++);
    return { index: best, reason: 'round robin: least recently picked' };
  }
}

export const roundRobinStrategy: StrategyDefinition<typeof params> = {
  name: 'round-robin',
  optimises: 'an equal share of requests per endpoint, in a fixed cycle',
  needs: 'nothing',
  params,
  create: () => new RoundRobin(),
};

registerStrategy(roundRobinStrategy);
