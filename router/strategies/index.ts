/**
 * Every built-in strategy. Importing this module registers them all (each file calls
 * registerStrategy on load); createStrategy(name) then finds them by name.
 */
import './round-robin.js';
import './weighted.js';
import './random.js';
import './weighted-random.js';
import './least-connections.js';
import './latency.js';
import './adaptive.js';
import './cost.js';
import './sticky.js';
import './priority.js';
import './score.js';
import './classifier.js';
import './baseline-litellm-latency.js';
import './baseline-envoy-least-request.js';
import './baseline-openrouter-price.js';
import './prefix-affinity.js';
import './learned.js';
import './baseline-litellm-shuffle.js';
import './baseline-litellm-least-busy.js';
import './baseline-litellm-usage.js';
import './baseline-litellm-cost.js';
import './baseline-portkey-loadbalance.js';

export { roundRobinStrategy } from './round-robin.js';
export { weightedStrategy } from './weighted.js';
export { randomStrategy } from './random.js';
export { weightedRandomStrategy } from './weighted-random.js';
export { leastConnectionsStrategy, inFlightLoad } from './least-connections.js';
export { latencyStrategy, peakEwmaLoad, UNTRIED_PENALTY } from './latency.js';
export { adaptiveStrategy } from './adaptive.js';
export { costStrategy } from './cost.js';
export { stickyStrategy } from './sticky.js';
export { priorityStrategy } from './priority.js';
export { scoreStrategy } from './score.js';
export { litellmLatencyStrategy, meanRecentLatency } from './baseline-litellm-latency.js';
export { envoyLeastRequestStrategy } from './baseline-envoy-least-request.js';
export { openrouterPriceStrategy } from './baseline-openrouter-price.js';
export { prefixAffinityStrategy } from './prefix-affinity.js';
export { BlockLru, prefixBlockHashes } from './prefix-blocks.js';
export { learnedStrategy, createLearnedStrategy, defaultLearnedThreshold } from './learned.js';
export { litellmShuffleStrategy } from './baseline-litellm-shuffle.js';
export { litellmLeastBusyStrategy } from './baseline-litellm-least-busy.js';
export { litellmUsageStrategy } from './baseline-litellm-usage.js';
export { litellmCostStrategy } from './baseline-litellm-cost.js';
export { portkeyLoadbalanceStrategy } from './baseline-portkey-loadbalance.js';
export { SmoothWeightedRoundRobin } from './swrr.js';
export { weightedIndex, type WeightOf } from './weights.js';
export { p2cIndex, type LoadOf } from './p2c.js';
export { fnv1a32, fmix32, pairUnit } from '../core/hash.js';
export { blendedPrice, currentPrice, effectiveWeight, qualityFor } from './util.js';
