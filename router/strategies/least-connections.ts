/**
 * least-connections: power of two choices on in-flight requests (p2c.ts).
 *   load_i = (inFlight_i + 1) / slowStart_i
 * With every slowStart = 1 this orders exactly like inFlight; a recovering endpoint looks
 * proportionally busier so it is not flooded the moment it returns. Ties: the first drawn.
 */
import { z } from 'zod';
import { assertCandidates, registerStrategy, type Pick, type PickContext, type Strategy, type StrategyDefinition } from '../core/strategy.js';
import type { Candidate, RouteRequest } from '../core/types.js';
import { p2cIndex } from './p2c.js';

const params = z.strictObject({});

export const inFlightLoad = (c: Candidate): number => (c.stats.inFlight + 1) / c.health.slowStart;

class LeastConnections implements Strategy {
  readonly name = 'least-connections';
  pick(candidates: readonly Candidate[], _request: RouteRequest, ctx: PickContext): Pick {
    assertCandidates(candidates, this.name);
    return { index: p2cIndex(candidates, ctx.random, inFlightLoad), reason: 'p2c: fewer in-flight' };
  }
}

export const leastConnectionsStrategy: StrategyDefinition<typeof params> = {
  name: 'least-connections',
  optimises: 'balanced concurrency (power of two choices on in-flight requests)',
  needs: 'in-flight counts',
  params,
  create: () => new LeastConnections(),
};

registerStrategy(leastConnectionsStrategy);
