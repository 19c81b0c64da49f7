import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Endpoint } from '../core/types.js';
import type { EndpointHealth } from '../health/breaker.js';
import { Admission } from '../core/rate-limit.js';

/**
 * Router state that several replicas may share: the injection point for it.
 *
 * The pick path stays synchronous and local: a Store hands the router one Admission per
 * rate-limited endpoint (whose local buckets a shared store keeps in step with the shared
 * counters) and, once the slots exist, is attached to their health so it can publish
 * this replica's ejections/cooldowns and apply the others'. No method here is awaited
 * on the pick path.
 *
 * `memoryStore` (the default) is today's behaviour: plain local buckets, nothing shared.
 */
export interface StoreTarget {
  /** Each endpoint's health, by endpoint id. */
  readonly health: ReadonlyMap<string, EndpointHealth>;
  readonly bus: EventBus;
  readonly clock: Clock;
}

export interface Store {
  readonly kind: 'memory' | 'redis';
  /** Admission for one endpoint (null = the endpoint has no limits). */
  admission(endpoint: Endpoint, clock: Clock): Admission | null;
  /** Start sharing health for these endpoints; returns the function that stops it. */
  attach(target: StoreTarget): () => void;
}

export const memoryStore: Store = {
  kind: 'memory',
  admission: (endpoint, clock) => Admission.for(endpoint, clock.now()),
  attach: () => () => {},
};
