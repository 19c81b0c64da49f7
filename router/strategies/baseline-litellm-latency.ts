/**
 * baseline-litellm-latency: LiteLLM's "latency-based-routing", for comparison.
 * Source: BerriAI/litellm litellm/router_strategy/lowest_latency.py
 * (LowestLatencyLoggingHandler._get_available_deployments) and
 * https://docs.litellm.ai/docs/routing (latency-based routing).
 *   mean_i = average of the last N (max_latency_list_size = 10) latencies;
 *            a deployment with no sample counts as latency [0], so it is picked first
 *   valid  = { i : mean_i <= lowest + lowest_latency_buffer * lowest }   (buffer default 0)
 *   pick   = uniform random over valid   (LiteLLM shuffles, then random.choice)
 * Differences, stated: we read the router's own last-10 list (recentLatenciesMs, oldest
 * first) and total latency; LiteLLM divides by completion tokens when usage is known and
 * uses TTFT for streams. No load term: that herding is what the baseline is for.
 */
import { z } from 'zod';
import { assertCandidates, registerStrategy, type Pick, type PickContext, type Strategy, type StrategyDefinition } from '../core/strategy.js';
import type { Candidate, RouteRequest } from '../core/types.js';

const params = z.strictObject({
  /** LiteLLM's lowest_latency_buffer: also accept means within (1 + buffer) x lowest. */
  buffer: z.number().min(0).max(10).default(0),
});

/** Mean of the recent latencies; 0 when there are none (LiteLLM's "latency": [0]). */
export function meanRecentLatency(c: Candidate): number {
  const xs = c.stats.recentLatenciesMs;
  if (xs.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i]!;
  return sum / xs.length;
}

class LiteLlmLatency implements Strategy {
  readonly name = 'baseline-litellm-latency';
  constructor(private readonly buffer: number) {}

  pick(candidates: readonly Candidate[], _request: RouteRequest, ctx: PickContext): Pick {
    assertCandidates(candidates, this.name);
    const n = candidates.length;
    const scores = new Array<number>(n);
    let lowest = Infinity;
    for (let i = 0; i < n; i++) {
      const m = meanRecentLatency(candidates[i]!);
      scores[i] = m;
      if (m < lowest) lowest = m;
    }
    const limit = lowest + this.buffer * lowest;
    let best = 0;
    let seen = 0;
    for (let i = 0; i < n; i++) {
      if (scores[i]! > limit) continue;
      seen += 1;
      if (seen === 1 || ctx.random.next() * seen < 1) best = i; // uniform over valid, one pass
    }
    return { index: best, scores, reason: 'lowest mean of last 10 latencies (LiteLLM)' };
  }
}

export const litellmLatencyStrategy: StrategyDefinition<typeof params> = {
  name: 'baseline-litellm-latency',
  optimises: 'baseline: LiteLLM lowest mean of the last 10 latencies (untried count as 0)',
  needs: 'recent latencies',
  params,
  create: (p) => new LiteLlmLatency(p.buffer),
};

registerStrategy(litellmLatencyStrategy);
