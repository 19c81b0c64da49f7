import type { z } from 'zod';
import type { strategyRefSchema } from '../core/config.js';
import { RouterError, isRouterError } from '../core/errors.js';
import { createStrategy, type Strategy, type StrategyDeps } from '../core/strategy.js';

/** Build strategy `owner`'s inner strategy from `params.fallback`; an error names that param. */
export function createFallback(owner: string, ref: z.output<typeof strategyRefSchema>, deps: StrategyDeps): Strategy {
  try {
    return createStrategy(ref, deps);
  } catch (e) {
    if (isRouterError(e)) throw new RouterError(e.code, `strategy "${owner}" params.fallback: ${e.message}`);
    throw e;
  }
}
