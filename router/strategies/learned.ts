import { z } from 'zod';
import { assertCandidates, registerStrategy, type Pick, type Strategy, type StrategyDefinition } from '../core/strategy.js';
import type { Candidate, RouteRequest } from '../core/types.js';
import { promptText } from '../classifier/prompt-text.js';
import { defaultQualityModel, defaultQualityPredictor, type QualityPrediction, type QualityPredictor } from '../quality/index.js';
import { currentPrice } from './util.js';

/**
 * `learned`: a learned quality router (router/quality). From the prompt text alone it
 * predicts P(acceptable) for the cheap tier and for the strong tier, then picks
 *   the cheapest candidate whose predicted quality clears the bar:
 *     predicted(c) = P(strong ok) if c.tier >= strongTier, else P(cheap ok)
 *     clears(c)    ⇔ c is in the strong tier, or predicted(c) >= P(strong ok) − threshold
 * i.e. the cheap endpoint unless the strong tier's expected gain exceeds `threshold`
 * (threshold −1: always the strong tier; 1: always the cheapest).
 * strongTier defaults to the highest tier among the candidates (so with the strong
 * endpoint ejected, the cheap one is the strong tier and is picked). Ties in price go to
 * config order. `threshold` trades quality for cost (`npm run tune`); its default is the
 * model's threshold for 95% of the strong model's quality on its training subjects.
 */

const NAME = 'learned';

const paramsSchema = z.strictObject({
  /** Largest expected quality loss accepted to use a cheaper endpoint (the gain threshold), in [-1, 1]. */
  threshold: z.number().min(-1).max(1).optional(),
  /** Endpoints with tier >= strongTier count as the strong tier (default: the highest tier present). */
  strongTier: z.number().int().min(0).optional(),
});

type Params = z.output<typeof paramsSchema>;

/** Default threshold when neither params nor the model's meta give one (gain of 10 points). */
const FALLBACK_THRESHOLD = 0.1;

/** The shipped model's threshold for 95% of the strong model's quality (its training subjects, out of fold). */
export function defaultLearnedThreshold(): number {
  return defaultQualityModel().meta?.thresholds['0.95'] ?? FALLBACK_THRESHOLD;
}

/** `predictor` replaces the shipped model (tests, a model of your own); its threshold default is then FALLBACK_THRESHOLD. */
export function createLearnedStrategy(params: Params, predictor?: QualityPredictor): Strategy {
  const p = predictor ?? defaultQualityPredictor();
  const bar = params.threshold ?? (predictor ? FALLBACK_THRESHOLD : defaultLearnedThreshold());
  // Retries and failovers pick again for the same request: predict once.
  const seen = new WeakMap<RouteRequest, QualityPrediction>();
  const predictFor = (request: RouteRequest): QualityPrediction => {
    let r = seen.get(request);
    if (!r) seen.set(request, (r = p.predict(promptText(request))));
    return r;
  };
  return {
    name: NAME,
    pick(candidates: readonly Candidate[], request: RouteRequest): Pick {
      assertCandidates(candidates, NAME);
      const q = predictFor(request);
      let strongTier = params.strongTier;
      if (strongTier === undefined) {
        strongTier = -Infinity;
        for (const c of candidates) if (c.endpoint.tier > strongTier) strongTier = c.endpoint.tier;
      }
      const need = q.strong - bar;
      const isStrong = (c: Candidate): boolean => c.endpoint.tier >= strongTier;
      const scores = candidates.map((c) => (isStrong(c) ? q.strong : q.cheap));
      let best = -1;
      let bestPrice = Infinity;
      candidates.forEach((c, i) => {
        const price = currentPrice(c);
        if ((isStrong(c) || scores[i]! >= need) && price < bestPrice) {
          best = i;
          bestPrice = price;
        }
      });
      // Nothing clears (strongTier above every candidate): the best predicted, cheapest first.
      if (best < 0) {
        const top = Math.max(...scores);
        candidates.forEach((c, i) => {
          if (scores[i] === top && (best < 0 || currentPrice(c) < currentPrice(candidates[best]!))) best = i;
        });
      }
      const gain = q.strong - q.cheap;
      const reason = `P(cheap ok) ${q.cheap.toFixed(3)}, P(strong ok) ${q.strong.toFixed(3)}, gain ${gain.toFixed(3)} ${gain > bar ? '>' : '<='} threshold ${bar}; cheapest that clears: ${candidates[best]!.endpoint.id}`;
      return { index: best, scores, reason };
    },
  };
}

export const learnedStrategy: StrategyDefinition<typeof paramsSchema> = {
  name: NAME,
  optimises: 'cost at a quality bar: the cheapest endpoint unless the learned model predicts the strong tier gains more than a threshold on this prompt',
  needs: 'the prompt text, endpoint tiers and prices; the shipped quality model (router/quality/quality-model.json)',
  params: paramsSchema,
  create: (params) => createLearnedStrategy(params),
};

registerStrategy(learnedStrategy);
