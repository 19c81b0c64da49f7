/**
 * baseline-litellm-usage: LiteLLM's "usage-based-routing" (v1 and v2), for comparison.
 * Source: BerriAI/litellm litellm/router_strategy/lowest_tpm_rpm_v2.py and
 * https://docs.litellm.ai/docs/routing (usage-based-routing-v2).
 *   tpm_i = tokens deployment i used in the current minute (floor(now / 60 s))
 *   rpm_i = requests sent to it in the current minute
 *   valid = { i : tpm_i + input_tokens <= tpm limit_i  and  rpm_i + 1 <= rpm limit_i }
 *   pick  = argmin over valid of tpm_i   (ties: uniform; LiteLLM shuffles first)
 * When no deployment is within its limits LiteLLM answers 429; here the router's own
 * RPM/TPM admission (layers/rate-limit.ts) does that, so the pick falls back to the
 * lowest usage and says so. The per-minute counts are derived from the cumulative stats
 * (tokens and requests at the start of the minute are remembered per endpoint id);
 * tokens count when a response completes, as LiteLLM's success callback does.
 */
import { z } from 'zod';
import { assertCandidates, registerStrategy, type Pick, type PickContext, type Strategy, type StrategyDefinition } from '../core/strategy.js';
import type { Candidate, RouteRequest } from '../core/types.js';
import { lowestIndex } from './lowest.js';

const params = z.strictObject({});
const MINUTE_MS = 60_000;

interface MinuteStart {
  minute: number;
  tokens: number;
  requests: number;
}

const tokensOf = (c: Candidate): number => c.stats.inputTokens + c.stats.outputTokens;
/** Requests started so far: finished plus in flight. */
const startedOf = (c: Candidate): number => c.stats.requests + c.stats.inFlight;

class LiteLlmUsage implements Strategy {
  readonly name = 'baseline-litellm-usage';
  private readonly starts = new Map<string, MinuteStart>();

  /** This minute's usage of one endpoint (rolls its baseline over at a minute boundary). */
  private used(c: Candidate, minute: number): { tpm: number; rpm: number } {
    let s = this.starts.get(c.endpoint.id);
    if (s === undefined || s.minute !== minute) {
      s = { minute, tokens: tokensOf(c), requests: startedOf(c) };
      this.starts.set(c.endpoint.id, s);
    }
    return { tpm: tokensOf(c) - s.tokens, rpm: startedOf(c) - s.requests };
  }

  pick(candidates: readonly Candidate[], request: RouteRequest, ctx: PickContext): Pick {
    assertCandidates(candidates, this.name);
    const minute = Math.floor(ctx.now / MINUTE_MS);
    const input = request.inputTokens ?? 0;
    let within = 0;
    const usage = candidates.map((c) => {
      const u = this.used(c, minute);
      const ok = u.tpm + input <= (c.endpoint.limits.tpm ?? Infinity) && u.rpm + 1 <= (c.endpoint.limits.rpm ?? Infinity);
      if (ok) within += 1;
      return { tpm: u.tpm, ok };
    });
    const scores = new Array<number>(candidates.length);
    // Over-limit deployments are left out unless every one is over.
    const scoreOf = (_c: Candidate, i: number): number => (within > 0 && !usage[i]!.ok ? Infinity : usage[i]!.tpm);
    const index = lowestIndex(candidates, scoreOf, scores, ctx.random);
    return { index, scores, reason: within > 0 ? 'lowest TPM this minute (LiteLLM usage-based)' : 'every deployment over its limits; lowest TPM' };
  }
}

export const litellmUsageStrategy: StrategyDefinition<typeof params> = {
  name: 'baseline-litellm-usage',
  optimises: 'baseline: LiteLLM usage-based-routing (lowest tokens used this minute, within rpm/tpm)',
  needs: 'tokens and requests per endpoint, rpm/tpm limits',
  params,
  create: () => new LiteLlmUsage(),
};

registerStrategy(litellmUsageStrategy);
