/**
 * baseline-portkey-loadbalance: Portkey's gateway `strategy.mode: loadbalance`, for comparison.
 * Source: https://portkey.ai/docs/product/ai-gateway/load-balancing (weights are summed and
 * normalised; each request draws a target by its normalised weight).
 *   P(i) = weight_i / Σ weight
 * Portkey has no outlier detection, cooldown or slow start in this mode: the draw reads the
 * configured weight only. The importer (scenarios/gateway/portkey.ts) also switches the
 * router's ejection and cooldowns off, so the candidates are every target, as in Portkey.
 * A nested `fallback` target becomes a fallback model group (router fallbacks), not a pick.
 */
import { z } from 'zod';
import { assertCandidates, registerStrategy, type Pick, type PickContext, type Strategy, type StrategyDefinition } from '../core/strategy.js';
import type { Candidate, RouteRequest } from '../core/types.js';
import { weightedIndex } from './weights.js';

const params = z.strictObject({});
const rawWeight = (c: Candidate): number => c.endpoint.weight;

class PortkeyLoadbalance implements Strategy {
  readonly name = 'baseline-portkey-loadbalance';
  pick(candidates: readonly Candidate[], _request: RouteRequest, ctx: PickContext): Pick {
    assertCandidates(candidates, this.name);
    return { index: weightedIndex(candidates, ctx.random, rawWeight), reason: 'weighted draw (Portkey loadbalance)' };
  }
}

export const portkeyLoadbalanceStrategy: StrategyDefinition<typeof params> = {
  name: 'baseline-portkey-loadbalance',
  optimises: 'baseline: Portkey loadbalance (draw by normalised weight; no health checks, no slow start)',
  needs: 'endpoint weights',
  params,
  create: () => new PortkeyLoadbalance(),
};

registerStrategy(portkeyLoadbalanceStrategy);
