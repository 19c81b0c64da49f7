/**
 * baseline-litellm-least-busy: LiteLLM's "least-busy", for comparison.
 * Source: BerriAI/litellm litellm/router_strategy/least_busy.py and
 * https://docs.litellm.ai/docs/routing (least-busy).
 *   pick = argmin_i in-flight_i   (ties: the first in config order; LiteLLM keeps a
 *          strictly smaller count only while iterating its deployments)
 * No P2C and no latency: at low load every request goes to the first deployment, which
 * is the herding a baseline is there to show.
 */
import { z } from 'zod';
import { assertCandidates, registerStrategy, type Pick, type Strategy, type StrategyDefinition } from '../core/strategy.js';
import type { Candidate } from '../core/types.js';
import { lowestIndex } from './lowest.js';

const params = z.strictObject({});
const inFlight = (c: Candidate): number => c.stats.inFlight;

class LiteLlmLeastBusy implements Strategy {
  readonly name = 'baseline-litellm-least-busy';
  pick(candidates: readonly Candidate[]): Pick {
    assertCandidates(candidates, this.name);
    const scores = new Array<number>(candidates.length);
    return { index: lowestIndex(candidates, inFlight, scores, null), scores, reason: 'fewest in-flight (LiteLLM least-busy)' };
  }
}

export const litellmLeastBusyStrategy: StrategyDefinition<typeof params> = {
  name: 'baseline-litellm-least-busy',
  optimises: 'baseline: LiteLLM least-busy (fewest in-flight requests, first in order on ties)',
  needs: 'in-flight counts',
  params,
  create: () => new LiteLlmLeastBusy(),
};

registerStrategy(litellmLeastBusyStrategy);
