/** random: uniform over the available endpoints, i = floor(U[0,1) * n). Stateless. */
import { z } from 'zod';
import { randomInt } from '../core/random.js';
import { assertCandidates, registerStrategy, type Pick, type PickContext, type Strategy, type StrategyDefinition } from '../core/strategy.js';
import type { Candidate, RouteRequest } from '../core/types.js';

const params = z.strictObject({});

class RandomPick implements Strategy {
  readonly name = 'random';
  pick(candidates: readonly Candidate[], _request: RouteRequest, ctx: PickContext): Pick {
    assertCandidates(candidates, this.name);
    return { index: randomInt(ctx.random, candidates.length), reason: 'uniform random' };
  }
}

export const randomStrategy: StrategyDefinition<typeof params> = {
  name: 'random',
  optimises: 'an equal expected share with no state and no coordination',
  needs: 'nothing',
  params,
  create: () => new RandomPick(),
};

registerStrategy(randomStrategy);
