import { z } from 'zod';
import { strategyRefSchema } from '../core/config.js';
import { RouterError } from '../core/errors.js';
import {
  assertCandidates,
  createStrategy,
  registerStrategy,
  strategyNames,
  type Classifier,
  type Pick,
  type Strategy,
  type StrategyDefinition,
  type StrategyDeps,
} from '../core/strategy.js';
import type { Candidate, RouteRequest } from '../core/types.js';
import { defaultClassifier } from '../classifier/index.js';
import { fitForClass, requestClassOf } from './prompt-class.js';

/**
 * `classifier`: classify the prompt (coding, math, reasoning, writing, general), keep the
 * candidates fit for that class, and let an inner strategy pick among them. Why: a cheap
 * model may be good enough for general chat but not for code; the class decides *which*
 * endpoints, the inner strategy decides *which one of them* (load, cost, latency).
 *
 * Fit for class c:  params.classes[c] lists the endpoint id        (when that entry exists)
 *                   else endpoint.classes is empty or contains c.
 * None fit:        fallback 'all' -> every candidate; 'error' -> RouterError('no_candidates').
 * request.promptClass skips the classifier. Each class gets its own inner strategy
 * instance, so per-strategy state (a round-robin cursor) is per class.
 */

const NAME = 'classifier';

const paramsSchema = z.strictObject({
  /** Picks among the fit endpoints; default 'cost' when registered, else 'round-robin'. */
  inner: strategyRefSchema.optional(),
  /** Class -> endpoint ids fit for it; overrides endpoint.classes for the classes listed. */
  classes: z.record(z.string().min(1), z.array(z.string().min(1))).optional(),
  fallback: z.enum(['all', 'error']).default('all'),
});

export type ClassifierStrategyParams = z.output<typeof paramsSchema>;


function isFit(c: Candidate, label: string, override: Readonly<Record<string, readonly string[]>> | undefined): boolean {
  const ids = override?.[label];
  if (ids) return ids.includes(c.endpoint.id);
  return fitForClass(c.endpoint, label);
}

export function createClassifierStrategy(params: ClassifierStrategyParams, deps: StrategyDeps = {}): Strategy {
  const classifier: Classifier = deps.classifier ?? defaultClassifier();
  for (const key of Object.keys(params.classes ?? {}))
    if (!classifier.classes.includes(key))
      throw new RouterError(
        'invalid_config',
        `strategy "${NAME}" params.classes.${key}: unknown prompt class; valid classes: ${classifier.classes.join(', ')}`,
      );
  const innerRef = params.inner ?? (strategyNames().includes('cost') ? 'cost' : 'round-robin');
  const innerName = typeof innerRef === 'string' ? innerRef : innerRef.name;
  // Created eagerly for the known classes so a bad inner ref fails at config time.
  const inner = new Map<string, Strategy>(classifier.classes.map((c) => [c, createStrategy(innerRef, deps)]));
  const innerFor = (label: string): Strategy => {
    let s = inner.get(label);
    if (!s) inner.set(label, (s = createStrategy(innerRef, deps)));
    return s;
  };
  const classify = requestClassOf(() => classifier);

  return {
    name: NAME,
    pick(candidates, request, ctx): Pick {
      assertCandidates(candidates, NAME);
      const { label, confidence } = classify(request);
      const fit: number[] = [];
      candidates.forEach((c, i) => {
        if (isFit(c, label, params.classes)) fit.push(i);
      });
      let pool = fit;
      if (fit.length === 0) {
        if (params.fallback === 'error')
          throw new RouterError(
            'no_candidates',
            `strategy "${NAME}": no candidate endpoint is fit for prompt class "${label}" ` +
              `(candidates: ${candidates.map((c) => c.endpoint.id).join(', ')}; fallback is "error")`,
          );
        pool = candidates.map((_, i) => i);
      }
      const sub = pool.map((i) => candidates[i]!);
      const innerPick = innerFor(label).pick(sub, request, ctx);
      const index = pool[innerPick.index];
      if (index === undefined)
        throw new Error(`strategy "${NAME}": inner strategy "${innerName}" picked index ${innerPick.index} of ${sub.length}`);
      // Scores of endpoints outside the pool are NaN: not considered (null in JSON traces).
      let scores: number[] | undefined;
      if (innerPick.scores) {
        scores = candidates.map(() => Number.NaN);
        pool.forEach((ci, j) => (scores![ci] = innerPick.scores![j] ?? Number.NaN));
      }
      const how = confidence === undefined ? 'given by request' : `classifier confidence ${confidence.toFixed(3)}`;
      const where = fit.length === 0 ? `none fit, using all ${candidates.length}` : `${fit.length}/${candidates.length} fit`;
      const reason = `class ${label} (${how}); ${where}; ${innerName}: ${innerPick.reason ?? `picked ${candidates[index]!.endpoint.id}`}`;
      return scores ? { index, scores, reason } : { index, reason };
    },
  };
}

export const classifierStrategy: StrategyDefinition<typeof paramsSchema> = {
  name: NAME,
  optimises: 'fitness: each prompt class goes only to endpoints fit for it, then the inner strategy picks',
  needs: 'endpoint.classes (or params.classes) and the prompt text (or request.promptClass); the shipped classifier model',
  params: paramsSchema,
  create: (params, deps) => createClassifierStrategy(params, deps),
  endpointRefs: (p) => Object.entries(p.classes ?? {}).flatMap(([c, ids]) => ids.map((id, i) => [`classes.${c}[${i}]`, id] as const)),
};

registerStrategy(classifierStrategy);
