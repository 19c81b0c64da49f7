/**
 * llm-router: the router core as a library.
 *
 *   import { createRouter } from 'llm-router';
 *
 * Everything a user needs to route requests with their own transport, clock and
 * randomness; the HTTP proxy (router/http) and the simulator build on the same exports.
 */
import type { RouterConfigInput } from './core/config.js';
import type { Router } from './core/router-types.js';
import { createRouter as createBareRouter, type RouterDeps } from './request/router.js';
import { createHttpTransport } from './transport/http.js';
import './strategies/index.js';

export * from './core/types.js';
export * from './core/errors.js';
export { systemClock, ManualClock, sleepOn } from './core/clock.js';
export type { Clock, Timer } from './core/clock.js';
export { seededRandom, deriveRandom, systemRandom, randomInt, twoDistinct } from './core/random.js';
export type { Random } from './core/random.js';
export {
  routerConfigSchema,
  endpointSchema,
  parseRouterConfig,
  parseOrThrow,
  formatZodError,
  normalizeEndpoint,
} from './core/config.js';
export type {
  RouterConfig,
  RouterConfigInput,
  EndpointConfig,
  HealthConfig,
  RetryConfig,
  TimeoutConfig,
  HedgingConfig,
  StatsConfig,
} from './core/config.js';
export { EndpointStats, PeakEwma, WindowedCounter, costOf } from './core/stats.js';
export type { AttemptOutcome } from './core/stats.js';
export {
  registerStrategy,
  createStrategy,
  strategyNames,
  strategyDefinitions,
  assertCandidates,
} from './core/strategy.js';
export type { Strategy, StrategyDefinition, StrategyDeps, PickContext, Pick, Classifier } from './core/strategy.js';
export { EventHeap } from './core/heap.js';

// The router: createRouter composes health, strategies and the request state machine.
// This entry point is the "preset" (like hono's): it registers every built-in strategy
// (the import of strategies/index.js below) and makes the undici transport the default.
// router/request/router.ts is the same router without either (the simulator uses it).
export function createRouter(config: RouterConfigInput, deps: RouterDeps | null = {}): Router {
  return createBareRouter(config, deps, { transport: createHttpTransport });
}
export type { RouterDeps, RouterDefaults } from './request/router.js';
export type { Router, RouteResult } from './core/router-types.js';
export type { RouterEvent, RouterEventType, RouterListener } from './core/events.js';

// Every built-in strategy (importing registers them) and their reusable pieces.
export * from './strategies/index.js';
export { classifierStrategy, createClassifierStrategy } from './strategies/classifier.js';

// The prompt classifier used by the `classifier` strategy.
export {
  defaultClassifier,
  createNaiveBayesClassifier,
  PROMPT_CLASSES,
  isPromptClass,
} from './classifier/index.js';
export type { PromptClass, NaiveBayesModel } from './classifier/index.js';
export { promptText } from './classifier/prompt-text.js';

// The default transport: undici pools with keep-alive, one per upstream origin.
export { createHttpTransport } from './transport/http.js';
export type { HttpTransport, HttpTransportOptions } from './transport/http.js';
