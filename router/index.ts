/**
 * llm-router: the router core as a library.
 *
 *   import { createRouter } from 'llm-router';
 *
 * Everything a user needs to route requests with their own transport, clock and
 * randomness; the HTTP proxy (router/http) and the simulator build on the same exports.
 */
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
